"""A client's number can never become anything but digits in a dial string."""

import pytest

from cpaas_daemon.calls import dialstring
from cpaas_daemon.errors import ValidationFailed


@pytest.mark.parametrize("number", ["919979271234", "+14155550123", "123456", "123456789012345"])
def test_valid_numbers_pass_unchanged(number: str) -> None:
    assert dialstring.phone_number(number, "agent_number") == number


@pytest.mark.parametrize(
    "number",
    [
        "123&PJSIP/999",
        "12345\n",
        "1234,5678",
        "1234|5678",
        "12345",  # too short
        "1234567890123456",  # too long
        "91997927XXXX",
        "+0000000",  # not a possible international number
        "",
        " 1234567",
        "123 4567",
        "١٢٣٤٥٦٧",  # non-ASCII digits
    ],
)
def test_dial_string_injection_and_junk_are_refused(number: str) -> None:
    with pytest.raises(ValidationFailed, match="agent_number"):
        dialstring.phone_number(number, "agent_number")


def test_non_string_is_refused() -> None:
    with pytest.raises(ValidationFailed):
        dialstring.phone_number(919979271234, "agent_number")


def test_transfer_target_accepts_extension_or_number() -> None:
    assert dialstring.number_or_extension("102", "transfer_to") == "102"
    assert dialstring.number_or_extension("919976123456", "transfer_to") == "919976123456"
    with pytest.raises(ValidationFailed):
        dialstring.number_or_extension("102&Local/1", "transfer_to")


@pytest.mark.parametrize(
    "channel", ["PJSIP/101-0000023c", "Local/1001@sim-endpoints-00000000;1", "SIP/trunk-00ab"]
)
def test_channel_names_as_asterisk_prints_them(channel: str) -> None:
    assert dialstring.channel_name(f" {channel} ") == channel


@pytest.mark.parametrize("channel", ["PJSIP/101&PJSIP/102", "PJSIP/1\r\nAction: Hangup", "101"])
def test_channel_injection_is_refused(channel: str) -> None:
    with pytest.raises(ValidationFailed):
        dialstring.channel_name(channel)


def test_template_gets_only_the_number() -> None:
    assert dialstring.dial_string("PJSIP/{number}@trunk", "+4415") == "PJSIP/+4415@trunk"


def test_request_ids_are_ten_hex() -> None:
    ids = {dialstring.new_request_id() for _ in range(100)}
    assert len(ids) == 100
    assert all(dialstring.request_id(i) == i for i in ids)
