"""What a contact hears: a recorded file from the uploads directory, or the campaign's
``announcement_text`` with the contact's ``{fieldN}`` values filled in and spoken by TTS.

A placeholder the contact has no value for is spoken as nothing (the text still plays),
because one sparse CSV row should not cost the whole call. If TTS cannot produce the
audio the error propagates: the dialer records the contact as NOT_DIALED rather than
ring someone with silence (docs/campaigns.md).
"""

from __future__ import annotations

import json

from cpaas_daemon.announcements.text import placeholders, render_fields
from cpaas_daemon.campaigns.model import Campaign
from cpaas_daemon.campaigns.uploads import Uploads
from cpaas_daemon.tts.options import TtsOptions
from cpaas_daemon.tts.renderer import TtsRenderer

PROMPT_SUFFIXES = (".wav",)


def announcement(text: str, fields: dict[str, str]) -> str:
    """``Dear {field1}`` + the contact's fields -> the sentence to speak."""
    return render_fields(text, dict.fromkeys(placeholders(text), "") | fields)


class Prompts:
    def __init__(self, uploads: Uploads, tts: TtsRenderer) -> None:
        self._uploads = uploads
        self._tts = tts

    def recorded(self, account_id: str, name: str) -> str:
        """Playback() path of a file the account uploaded: absolute, without extension."""
        path = self._uploads.existing(account_id, name, "recorded_filename", PROMPT_SUFFIXES)
        return str(path.with_suffix(""))

    async def spoken(self, text: str, tts_options: str) -> str:
        return str(await self._tts.render(text, TtsOptions(**json.loads(tts_options))))

    async def for_contact(self, campaign: Campaign, fields: dict[str, str]) -> str:
        if not campaign.dynamic_announcement:
            return self.recorded(campaign.account_id, campaign.recorded_filename)
        text = announcement(campaign.announcement_text, fields)
        return await self.spoken(text, campaign.tts_options)
