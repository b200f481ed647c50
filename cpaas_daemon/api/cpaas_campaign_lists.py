"""Seed 003 campaign lists: contact lists, DND lists, JSON and CSV imports, uploads."""

from __future__ import annotations

from typing import Annotated, Any

from aiohttp import BodyPartReader, MultipartReader, web
from aiohttp.multipart import BadContentDispositionHeader
from pydantic import AfterValidator

from cpaas_daemon.api.cpaas_base import AccountAuth, CpaasModel, ok, parse_body
from cpaas_daemon.campaigns.contacts import ContactInput, contact
from cpaas_daemon.campaigns.lists import list_name
from cpaas_daemon.campaigns.model import DND_PREFIX, LIST_PREFIX, parse_id
from cpaas_daemon.campaigns.service import CSV_SUFFIXES, CampaignService, ImportResult
from cpaas_daemon.campaigns.uploads import file_name
from cpaas_daemon.errors import ValidationFailed

MAX_CONTACTS_PER_REQUEST = 10_000


def _contacts(items: list[dict[str, Any]], key: str, prefix: str = "") -> list[ContactInput]:
    if not items:
        raise ValidationFailed(f"{key} must be a non-empty array")
    if len(items) > MAX_CONTACTS_PER_REQUEST:
        raise ValidationFailed(f"{key} may hold at most {MAX_CONTACTS_PER_REQUEST} contacts")
    return [
        contact(
            item.get(f"{prefix}contact_number"),
            item.get(f"{prefix}contact_name"),
            None if prefix else item.get("contact_fields"),
            f"{key}[{index}]",
        )
        for index, item in enumerate(items)
    ]


ListId = Annotated[str, AfterValidator(lambda v: parse_id(v, LIST_PREFIX, "list_id"))]
DndListId = Annotated[str, AfterValidator(lambda v: parse_id(v, DND_PREFIX, "dnd_list_id"))]
ListName = Annotated[str, AfterValidator(lambda v: list_name(v, "list_name"))]
DndListName = Annotated[str, AfterValidator(lambda v: list_name(v, "dnd_list_name"))]
CsvName = Annotated[str, AfterValidator(lambda v: file_name(v, "csv_name", CSV_SUFFIXES))]
DndCsvName = Annotated[str, AfterValidator(lambda v: file_name(v, "dnd_csv_name", CSV_SUFFIXES))]


class CreateList(CpaasModel):
    list_name: ListName


class CreateDndList(CpaasModel):
    dnd_list_name: DndListName


class AddContacts(CpaasModel):
    list_id: ListId
    contacts: list[dict[str, Any]]


class AddDndContacts(CpaasModel):
    dnd_list_id: DndListId
    dnd_contacts: list[dict[str, Any]]


class ImportCsv(CpaasModel):
    list_id: ListId
    csv_name: CsvName


class ImportDndCsv(CpaasModel):
    dnd_list_id: DndListId
    dnd_csv_name: DndCsvName


def _imported(result: ImportResult, noun: str) -> web.Response:
    fields: dict[str, Any] = {"message": f"({result.imported}) {noun} imported successfully"}
    if result.batch_id is not None:
        fields["batch_id"] = result.batch_id
    if result.errors:
        fields["skipped_rows"] = [error.as_json() for error in result.errors]
    return ok(**fields)


async def _small_text(part: BodyPartReader, limit: int = 256) -> str:
    """A short text part (``csv_name``), read without ever holding more than ``limit``
    bytes: ``part.text()`` would buffer whatever the client sends."""
    data = b""
    while chunk := await part.read_chunk(limit + 1):
        data += chunk
        if len(data) > limit:
            raise ValidationFailed(f"csv_name must be at most {limit} bytes")
    return data.decode("utf-8", "replace")


async def _next_part(reader: MultipartReader) -> Any:
    """The next part; a Content-Disposition aiohttp cannot parse is the client's error
    whether warnings are errors (tests, ``-W error``) or not (it then reads no name)."""
    try:
        return await reader.next()
    except BadContentDispositionHeader as exc:
        raise ValidationFailed("a part's Content-Disposition header is malformed") from exc


class CampaignListsApi:
    """The contact and DND list endpoints, over the campaign service."""

    def __init__(self, auth: AccountAuth, campaigns: CampaignService) -> None:
        self._auth = auth
        self._campaigns = campaigns

    async def create_campaign_list(self, request: web.Request) -> web.Response:
        account = await self._auth.account_of(request)
        body = await parse_body(request, CreateList)
        list_id = await self._campaigns.lists.create_list(account, body.list_name)
        return ok(list_id=list_id)

    async def create_campaign_dnd_list(self, request: web.Request) -> web.Response:
        account = await self._auth.account_of(request)
        body = await parse_body(request, CreateDndList)
        dnd_list_id = await self._campaigns.lists.create_dnd_list(account, body.dnd_list_name)
        return ok(dnd_list_id=dnd_list_id)

    async def add_contact_to_list(self, request: web.Request) -> web.Response:
        account = await self._auth.account_of(request)
        body = await parse_body(request, AddContacts)
        contacts = _contacts(body.contacts, "contacts")
        added, batch_id = await self._campaigns.lists.add_contacts(account, body.list_id, contacts)
        return _imported(ImportResult(added, batch_id, []), "contacts")

    async def add_dnd_contact_to_list(self, request: web.Request) -> web.Response:
        account = await self._auth.account_of(request)
        body = await parse_body(request, AddDndContacts)
        contacts = _contacts(body.dnd_contacts, "dnd_contacts", prefix="dnd_")
        added = await self._campaigns.lists.add_dnd_contacts(account, body.dnd_list_id, contacts)
        return _imported(ImportResult(added, None, []), "DND contacts")

    async def import_broadcast_contacts_csv(self, request: web.Request) -> web.Response:
        account = await self._auth.account_of(request)
        body = await parse_body(request, ImportCsv)
        result = await self._campaigns.import_csv(account, body.list_id, body.csv_name)
        return _imported(result, "contacts")

    async def import_dnd_contacts_csv(self, request: web.Request) -> web.Response:
        account = await self._auth.account_of(request)
        body = await parse_body(request, ImportDndCsv)
        result = await self._campaigns.import_dnd_csv(account, body.dnd_list_id, body.dnd_csv_name)
        return _imported(result, "DND contacts")

    async def upload_csv(self, request: web.Request) -> web.Response:
        """``multipart/form-data`` with a ``file`` part (its filename, or a ``csv_name`` part
        sent before it, names the stored file). Each account has its own uploads folder: the
        name is only ever looked up in the caller's (docs/security.md)."""
        account = await self._auth.account_of(request)
        if not request.content_type.startswith("multipart/"):
            raise ValidationFailed("upload_csv expects multipart/form-data with a file part")
        reader = await request.multipart()
        name: str | None = None
        while (part := await _next_part(reader)) is not None:
            if not isinstance(part, BodyPartReader):
                continue
            if part.name == "csv_name":
                name = file_name((await _small_text(part)).strip(), "csv_name")
            elif part.name == "file":
                name = file_name(name or part.filename, "csv_name")

                async def chunks(source: BodyPartReader = part) -> Any:
                    while chunk := await source.read_chunk():
                        yield chunk

                await self._campaigns.uploads.save(account, name, chunks())
                return ok(csv_name=name, message="file uploaded successfully")
        raise ValidationFailed("upload_csv needs a part named file")
