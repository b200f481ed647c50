"""Campaign manager operations the API calls: one method per endpoint that needs more
than a single repository call (checks across lists, files, TTS and the dialer)."""

from __future__ import annotations

from dataclasses import dataclass

from cpaas_daemon.announcements.text import placeholders
from cpaas_daemon.campaigns.contacts import RowError, read_csv
from cpaas_daemon.campaigns.dialer import CampaignDialer
from cpaas_daemon.campaigns.lists import ListRepository
from cpaas_daemon.campaigns.model import Campaign, CampaignSettings, StatusCode
from cpaas_daemon.campaigns.progress import CampaignProgress
from cpaas_daemon.campaigns.prompts import Prompts, announcement
from cpaas_daemon.campaigns.repository import CampaignRepository
from cpaas_daemon.campaigns.uploads import Uploads
from cpaas_daemon.errors import NotFound

CSV_SUFFIXES = (".csv",)


@dataclass(frozen=True)
class ImportResult:
    imported: int
    batch_id: str | None
    errors: list[RowError]


class CampaignService:
    def __init__(
        self,
        *,
        lists: ListRepository,
        campaigns: CampaignRepository,
        dialer: CampaignDialer,
        uploads: Uploads,
        prompts: Prompts,
        progress: CampaignProgress,
    ) -> None:
        self.lists = lists
        self.campaigns = campaigns
        self.dialer = dialer
        self.uploads = uploads
        self.progress = progress
        self._prompts = prompts

    async def import_csv(self, account_id: str, list_id: str, csv_name: str) -> ImportResult:
        """Valid rows are stored in one transaction; bad rows are reported and skipped."""
        await self.lists.require_list(account_id, list_id)
        path = self.uploads.existing(account_id, csv_name, "csv_name", CSV_SUFFIXES)
        parsed = await read_csv(path)
        added, batch_id = await self.lists.add_contacts(account_id, list_id, parsed.contacts)
        return ImportResult(added, batch_id, parsed.errors)

    async def import_dnd_csv(
        self, account_id: str, dnd_list_id: str, csv_name: str
    ) -> ImportResult:
        await self.lists.require_dnd_list(account_id, dnd_list_id)
        path = self.uploads.existing(account_id, csv_name, "dnd_csv_name", CSV_SUFFIXES)
        parsed = await read_csv(path, dnd=True)
        added = await self.lists.add_dnd_contacts(account_id, dnd_list_id, parsed.contacts)
        return ImportResult(added, None, parsed.errors)

    async def create(self, account_id: str, settings: CampaignSettings) -> str:
        """Check everything the dialer will need, then store and schedule the campaign.

        A dynamic announcement is rendered once here (each placeholder speaks its own
        name): if TTS cannot speak, the client hears it now (503) rather than every
        contact ending as NOT_DIALED.
        """
        await self.lists.require_list(account_id, settings.list_id)
        if settings.dnd_list_id is not None:
            await self.lists.require_dnd_list(account_id, settings.dnd_list_id)
        if settings.dynamic_announcement:
            names = placeholders(settings.announcement_text)
            text = announcement(settings.announcement_text, {name: name for name in names})
            await self._prompts.spoken(text, settings.tts_options)
        else:
            self._prompts.recorded(account_id, settings.recorded_filename)
        campaign_id = await self.campaigns.create(account_id, settings)
        await self.dialer.adopt(await self.campaigns.get(account_id, campaign_id))
        return campaign_id

    async def details(
        self, account_id: str, campaign_id: str | None
    ) -> list[tuple[Campaign, StatusCode]]:
        if campaign_id is not None:
            found = [await self.campaigns.get(account_id, campaign_id)]
        else:
            found = await self.campaigns.of_account(account_id)
        if not found:
            raise NotFound("campaign not found")
        return [(campaign, self.dialer.status_code(campaign)) for campaign in found]
