"""Invalid requests, generated with hypothesis from docs/openapi.json.

Every probe is built to be invalid, and the document is the judge: a body has at least
one value its schema rejects (tests/integration/faults/schema.py), a required field is missing, the
body is not a JSON object at all, or the credentials are wrong. So the daemon must answer
each with a 4xx in the endpoint's dialect and must write and dial nothing. The few
endpoints that take no input (``/health``, ``/metrics``, ``/openapi.json``) get junk query
strings and must answer 200.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from urllib.parse import quote

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.harness import ACCOUNTS
from tests.integration.faults import schema

ACCOUNT, SECRET = "account_1", ACCOUNTS["account_1"]
STATS_USER, STATS_PASSWORD = "fuzzadmin", "fuzz-admin-password"

# The dangerous characters of a dial string or an AMI header, and text that looks numeric.
INJECTIONS = (
    "&", "/", ",", "|", "\n", "\r\n", ";", "\x00", "\t", "\x1b", "\u2028", "${EXTEN}",
    "&PJSIP/999", "@ctx", "\r\nAction: Originate\r\n", "'", '"', "\\", "%0a", "..", "*",
    "²", "٣", "\uff11", "𝟗", "+", "-", "--", "_", "e5", ".5", " ", "\u00a0", "\u200b",
)  # fmt: skip
CONTENT_TYPES = (
    "application/json", "text/plain", "application/x-www-form-urlencoded", "",
    "multipart/form-data; boundary=zz", "application/json; charset=latin-1", "application/xml",
    "application/octet-stream",
)  # fmt: skip


@dataclass(frozen=True)
class Probe:
    """One request and what the document says about it."""

    op_id: str
    method: str
    url: str  # path and query, already percent-encoded
    why: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    expect: str = "error"  # "error": a 4xx in the dialect; "ok": a 200 (inputs ignored)

    def __repr__(self) -> str:
        body = None if self.body is None else self.body[:300]
        return f"{self.method} {self.url[:300]} [{self.why}] headers={self.headers} body={body!r}"


# --- values -------------------------------------------------------------------------------

printable_header = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40
)
HUGE_BODY = b'{"x": "' + b"9" * (1 << 20) + b'"}'  # shared by every probe that sends it
DEEP_BODIES = tuple(b"[" * n + b"]" * n for n in (100, 5_000, 100_000)) + tuple(
    b'{"a":' * n + b"1" + b"}" * n for n in (100, 5_000, 100_000)
)
junk_text = st.one_of(
    st.text(max_size=30),
    st.text(alphabet=st.characters(max_codepoint=0x1F), min_size=1, max_size=10),
    st.lists(st.sampled_from(INJECTIONS), min_size=1, max_size=4).map("".join),
    st.sampled_from([600, 20_000]).map(lambda n: "9" * n),
    st.sampled_from(["ü&\n" * 700, "\u202e" * 100, "٩" * 12, "²" * 3]),
)
json_scalar = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
    junk_text,
)  # fmt: skip
junk_json = st.recursive(
    json_scalar,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)
OF_TYPE: dict[str, st.SearchStrategy[Any]] = {
    "string": junk_text,
    "integer": st.integers(),
    "number": st.floats(allow_nan=False, allow_infinity=False),
    "boolean": st.booleans(),
    "null": st.none(),
    "object": st.dictionaries(st.text(max_size=6), json_scalar, max_size=3),
    "array": st.lists(json_scalar, max_size=3),
}


def _short_in_url(value: object) -> bool:
    return isinstance(value, str) and len(quote(value, safe="")) < 4000


def _keyed(name: str, value: object) -> dict[str, object]:
    return {name: value}


def _named(name: str, value: object) -> tuple[str, object]:
    return name, value


@st.composite
def spliced(draw: st.DrawFn, base: object) -> object:
    """A valid-looking value with dangerous characters spliced in."""
    text = base if isinstance(base, str) else "918000680020"
    cut = draw(st.integers(0, len(text)))
    middle = "".join(draw(st.lists(st.sampled_from(INJECTIONS), min_size=1, max_size=3)))
    return text[:cut] + middle + text[cut:]


def invalid_value(prop: dict[str, Any], base: object) -> st.SearchStrategy[Any] | None:
    """Values this property's schema rejects (None: the schema rejects nothing we can make)."""
    prop = schema.resolve(prop)
    kinds = prop.get("type", [])
    kinds = [kinds] if isinstance(kinds, str) else kinds
    options = [OF_TYPE[kind] for kind in OF_TYPE if kinds and kind not in kinds]
    if "string" in kinds or not kinds:
        if "pattern" in prop or "enum" in prop or "const" in prop:
            options += [spliced(base), junk_text]
        if "maxLength" in prop:
            options.append(st.integers(1, 40).map(lambda n: "x" * (prop["maxLength"] + n)))
        if prop.get("minLength"):
            options.append(st.sampled_from(["", " ", "\n\t "]))
    if "array" in kinds and "items" in prop:
        options.append(st.just([]))
        item = schema.resolve(prop["items"])
        for name in item.get("required", []):
            bad = invalid_value(item["properties"][name], "918000680020")
            if bad is not None:
                options.append(st.lists(bad.map(partial(_keyed, name)), min_size=1, max_size=2))
    if not options:
        return None
    strip = schema.PYDANTIC_WS
    return st.one_of(options).filter(
        lambda v: bool(schema.errors(prop, v.strip(strip) if isinstance(v, str) else v))
    )


# --- bodies -------------------------------------------------------------------------------


def _dump(value: object, ascii_only: bool) -> bytes:
    return json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")


def _raw_bodies(example: dict[str, Any]) -> st.SearchStrategy[bytes]:
    text = json.dumps(example)
    return st.one_of(
        st.binary(max_size=64),
        st.integers(1, max(1, len(text) - 1)).map(lambda n: text[:n].encode()),
        st.sampled_from([b"[]", b'"x"', b"123", b"null", b"true", b"{", b"{}}", b"\xff"]),
        st.sampled_from(DEEP_BODIES),
        st.just(HUGE_BODY),
        junk_json.filter(lambda v: not isinstance(v, dict)).map(lambda v: _dump(v, True)),
    ).map(lambda raw: b"[]" if raw.strip() in (b"", b"{}") else raw)


def invalid_json_body(
    body_schema: dict[str, Any], example: dict[str, Any]
) -> st.SearchStrategy[tuple[str, dict[str, Any] | bytes]]:
    """(why, body): a JSON object the schema rejects, or bytes that are no JSON object.
    Built once per operation: hypothesis validates a strategy the first time it is drawn."""
    resolved = schema.resolve(body_schema)
    props, required = resolved["properties"], resolved.get("required", [])
    mutable = {
        name: strategy
        for name, prop in sorted(props.items())
        if (strategy := invalid_value(prop, example.get(name, ""))) is not None
    }
    field = st.one_of([strategy.map(partial(_named, name)) for name, strategy in mutable.items()])
    extras = st.dictionaries(st.text(max_size=12), junk_json, max_size=3)
    options = [
        field.map(lambda nv: (f"bad {nv[0]}", {**example, nv[0]: nv[1]})),
        st.tuples(field, extras).map(
            lambda fe: (f"bad {fe[0][0]} + extras", {**example, **fe[1], fe[0][0]: fe[0][1]})
        ),
        _raw_bodies(example).map(lambda raw: ("not a JSON object", raw)),
    ]
    if required:
        options.append(
            st.sampled_from(required).map(
                lambda name: (f"missing {name}", {k: v for k, v in example.items() if k != name})
            )
        )
    return st.one_of(*options).filter(lambda wb: is_invalid(body_schema, wb[1]))


def is_invalid(body_schema: dict[str, Any], body: dict[str, Any] | bytes) -> bool:
    if isinstance(body, bytes):
        return True
    return bool(schema.errors(body_schema, body))


# --- credentials ---------------------------------------------------------------------------


def _strip_eq(a: str, b: str) -> bool:
    return a.strip() == b.strip()


cpaas_bad_headers = st.one_of(
    st.just({}),
    st.builds(lambda a: {"account": a}, printable_header),
    st.builds(lambda s: {"auth": s}, printable_header),
    st.builds(lambda a, s: {"account": a, "auth": s}, printable_header, printable_header),
    st.builds(lambda s: {"account": ACCOUNT, "auth": s}, printable_header),
    st.builds(lambda a: {"account": a, "auth": SECRET}, printable_header),
    st.just({"account": "account_2", "auth": SECRET}),
).filter(
    lambda h: (
        not any(
            _strip_eq(h.get("account", ""), acc) and _strip_eq(h.get("auth", ""), sec)
            for acc, sec in ACCOUNTS.items()
        )
    )
)


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def basic_bad(valid: Callable[[str, str], bool]) -> st.SearchStrategy[dict[str, str]]:
    pair = st.tuples(printable_header, printable_header)
    return st.one_of(
        st.just({}),
        st.builds(lambda v: {"Authorization": v}, printable_header),
        st.builds(lambda v: {"Authorization": "Basic " + v}, printable_header),
        st.builds(
            lambda raw: {"Authorization": "Basic " + base64.b64encode(raw).decode()},
            st.binary(max_size=24),
        ),
        pair.filter(lambda p: not valid(*p)).map(lambda p: {"Authorization": basic(*p)}),
        pair.map(lambda p: {"Authorization": "Bearer " + basic(*p).split()[1]}),
    )


def _decoded_basic(header: str) -> tuple[str, str] | None:
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, _, password = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
    except ValueError:
        return None
    return user, password


def isales_valid(user: str, password: str) -> bool:
    return ACCOUNTS.get(user) == password


def stats_valid(user: str, password: str) -> bool:
    return user == STATS_USER and password == STATS_PASSWORD


def bad_basic(valid: Callable[[str, str], bool]) -> st.SearchStrategy[dict[str, str]]:
    def still_bad(headers: dict[str, str]) -> bool:
        pair = _decoded_basic(headers.get("Authorization", ""))
        return pair is None or not valid(*pair)

    return basic_bad(valid).filter(still_bad)


# --- probes per operation -------------------------------------------------------------------


def _query(params: dict[str, str]) -> str:
    return "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in params.items())


def _with_query(path: str, params: dict[str, str]) -> str:
    return f"{path}?{_query(params)}" if params else path


def _encode(body: dict[str, Any] | bytes, ascii_only: bool) -> bytes:
    return body if isinstance(body, bytes) else _dump(body, ascii_only)


def json_body_probe(method: str, path: str, op: dict[str, Any]) -> st.SearchStrategy[Probe]:
    content = op["requestBody"]["content"]["application/json"]
    body_schema, example = content["schema"], content["example"]
    op_id = op["operationId"]
    headers = st.sampled_from(CONTENT_TYPES).map(lambda c: {"Content-Type": c} if c else {})
    ascii_only = st.booleans()
    if op["x-dialect"] in ("v2", "v2_agent"):
        good_body = {**example, "userId": ACCOUNT, "token": SECRET}
        bad_creds = st.fixed_dictionaries(
            {
                "userId": st.one_of(json_scalar, st.just(ACCOUNT)),
                "token": st.one_of(json_scalar, st.just(SECRET)),
            }
        ).filter(
            lambda c: (
                not (
                    isinstance(c["userId"], str)
                    and c["userId"].strip() == ACCOUNT
                    and c["token"] == SECRET
                )
            )
        )
        bad_auth = st.builds(
            lambda c, h, a: Probe(
                op_id, method, path, "bad body credentials", h, _dump({**example, **c}, a)
            ),
            bad_creds, headers, ascii_only,
        )  # fmt: skip
        bad_body = st.builds(
            lambda wb, h, a: Probe(op_id, method, path, wb[0], h, _encode(wb[1], a)),
            invalid_json_body(body_schema, good_body), headers, ascii_only,
        )  # fmt: skip
    else:
        good = {"account": ACCOUNT, "auth": SECRET}
        bad_auth = st.builds(  # a VALID-looking body with wrong credentials
            lambda c, h, a: Probe(op_id, method, path, "bad credentials", h | c,
                                  _dump(example, a)),
            cpaas_bad_headers, headers, ascii_only,
        )  # fmt: skip
        bad_body = st.builds(
            lambda wb, h, a: Probe(op_id, method, path, wb[0], h | good, _encode(wb[1], a)),
            invalid_json_body(body_schema, example), headers, ascii_only,
        )  # fmt: skip
    return st.one_of(bad_auth, bad_body, bad_body, bad_body)


def _multipart(parts: list[tuple[str, str | None, bytes]]) -> bytes:
    out = b""
    for name, filename, data in parts:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        out += (
            b"--zz\r\nContent-Disposition: " + disposition.encode() + b"\r\n\r\n" + data + b"\r\n"
        )
    return out + b"--zz--\r\n"


def _upload_name_is_valid(name: str) -> bool:
    pattern = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$"
    return (
        not schema.errors({"type": "string", "pattern": pattern}, name)
        and ".." not in name
        and name.lower().endswith((".csv", ".wav"))
    )


@st.composite
def upload_probe(draw: st.DrawFn, method: str, path: str, op: dict[str, Any]) -> Probe:
    good = {"account": ACCOUNT, "auth": SECRET}
    csv = b"contact_number,contact_name\n918000680020,A\n"
    bad_name = st.one_of(junk_text, st.builds(lambda s: s + ".csv", junk_text)).filter(
        lambda n: not _upload_name_is_valid(n) and '"' not in n and "\r" not in n and "\n" not in n
    )
    kind = draw(st.sampled_from(["auth", "json", "no-file", "bad-filename", "bad-csv-name"]))
    multipart = {"Content-Type": "multipart/form-data; boundary=zz"}
    if kind == "auth":
        body = _multipart([("file", "ok.csv", csv)])
        return Probe(op["operationId"], method, path, "bad credentials",
                     multipart | draw(cpaas_bad_headers), body)  # fmt: skip
    if kind == "json":
        ctype = draw(st.sampled_from([c for c in CONTENT_TYPES if not c.startswith("multipart")]))
        body = draw(st.one_of(st.binary(max_size=64), st.just(b'{"csv_name": "ok.csv"}')))
        return Probe(op["operationId"], method, path, "not multipart",
                     {"Content-Type": ctype, **good}, body)  # fmt: skip
    if kind == "no-file":
        body = _multipart([("csv_name", None, b"ok.csv"), ("other", "ok.csv", csv)])
        return Probe(op["operationId"], method, path, "no file part", multipart | good, body)
    name = draw(bad_name)
    if kind == "bad-filename":
        body = _multipart([("file", name, csv)])
    else:
        body = _multipart([("csv_name", None, name.encode()), ("file", "ok.csv", csv)])
    return Probe(op["operationId"], method, path, kind, multipart | good, body)


def _param_schemas(op: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["name"]: p["schema"] for p in op.get("parameters", []) if p["in"] == "query"}


def query_probe(method: str, path: str, op: dict[str, Any]) -> st.SearchStrategy[Probe]:
    """GET endpoints: wrong credentials, or right ones with one parameter the schema rejects."""
    dialect, op_id = op["x-dialect"], op["operationId"]
    params = _param_schemas(op)
    path_params = {p["name"]: p["schema"] for p in op.get("parameters", []) if p["in"] == "path"}
    required = [
        p["name"] for p in op.get("parameters", []) if p.get("required") and p["in"] == "query"
    ]
    real_path = path
    for name in path_params:  # a valid value unless a path mutation replaces it
        real_path = real_path.replace("{" + name + "}", "1")
    if dialect == "cpaas":
        good, bad = {"account": ACCOUNT, "auth": SECRET}, cpaas_bad_headers
    elif dialect == "isales":
        good, bad = {"Authorization": basic(ACCOUNT, SECRET)}, bad_basic(isales_valid)
    else:
        good, bad = {"Authorization": basic(STATS_USER, STATS_PASSWORD)}, bad_basic(stats_valid)
    # entity=search reads every filter parameter (entity=reports would ignore them)
    sample_query = {"entity": "search"} if "entity" in params else {}
    junk_query = st.dictionaries(st.text(max_size=8), st.text(max_size=20), max_size=3)
    bad_auth = st.builds(
        lambda h, q: Probe(op_id, method, _with_query(real_path, {**q, **sample_query}),
                           "bad credentials", h),
        bad, junk_query,
    )  # fmt: skip
    targets = {**params, **path_params}
    mutable = sorted(
        n for n, s in targets.items() if {"pattern", "enum", "maxLength", "minLength"} & set(s)
    )
    if op_id == "wallboard_events" or not mutable:  # right credentials would open a stream
        return bad_auth
    # A request line over 8190 bytes is refused by aiohttp's HTTP parser before routing
    # (plain-text 400, docs/faults.md), so query values stay well below that.
    raw_values: st.SearchStrategy[Any] = st.one_of(
        junk_text, spliced("1"), spliced("CMdb6a12e1f1"), spliced("queues/1"), spliced("search")
    ).filter(_short_in_url)

    def url(name: str, value: str) -> str:
        if name in path_params:
            filled = path.replace("{" + name + "}", quote(value, safe=""))
            return _with_query(filled, sample_query)
        return _with_query(real_path, {**sample_query, name: value})

    def rejected(target: dict[str, Any], value: str) -> bool:
        return "\x00" not in value and bool(schema.errors(target, value))

    def probe(name: str, value: str) -> Probe:
        return Probe(op_id, method, url(name, value), f"bad {name}", good)

    bad_param = st.one_of(
        [
            raw_values.filter(partial(rejected, targets[name])).map(partial(probe, name))
            for name in mutable
        ]
    )
    missing = [st.just(Probe(op_id, method, real_path, f"missing {n}", good)) for n in required]
    return st.one_of(bad_auth, bad_param, bad_param, bad_param, *missing)


STATIC_FILES: set[str] = set()  # filled by the test from the real directory


@st.composite
def static_probe(draw: st.DrawFn, method: str, path: str, op: dict[str, Any]) -> Probe:
    """Names that are not assets: any text (percent-encoded, as a browser would send it) or
    a traversal attempt sent verbatim (ASCII, so the HTTP parser accepts the line)."""
    encoded = draw(
        st.one_of(
            st.text(min_size=1, max_size=30)
            .filter(lambda n: n.strip("/") not in STATIC_FILES)
            .map(lambda n: quote(n, safe="/.")),
            st.sampled_from(
                [
                    "../app.py",
                    "..%2f..%2fetc%2fpasswd",
                    "%00",
                    ".",
                    "~",
                    "a/../../x",
                    "%zz",
                    "%",
                    "wallboard.js%00.png",
                ]
            ),
        )
    )
    url = path.replace("{filename}", encoded)
    return Probe(op["operationId"], method, url, "no such asset", expect="missing")


@st.composite
def ignored_input_probe(draw: st.DrawFn, method: str, path: str, op: dict[str, Any]) -> Probe:
    junk = draw(st.dictionaries(st.text(max_size=8), st.text(max_size=40), max_size=4))
    headers = draw(st.dictionaries(st.sampled_from(["account", "auth", "Authorization"]),
                                   printable_header, max_size=2))  # fmt: skip
    return Probe(op["operationId"], method, _with_query(path, junk), "input ignored", headers,
                 expect="ok")  # fmt: skip


def probes_for(method: str, path: str, op: dict[str, Any]) -> st.SearchStrategy[Probe]:
    if op["operationId"] == "upload_csv":
        return upload_probe(method, path, op)
    if "requestBody" in op:
        return json_body_probe(method, path, op)
    if op["x-dialect"] == "generic":
        return ignored_input_probe(method, path, op)
    if op["operationId"] == "wallboard_static":
        return static_probe(method, path, op)
    return query_probe(method, path, op)


# --- the corpus -----------------------------------------------------------------------------

TOTAL = 10_000
BATCH = 10  # probes per hypothesis example: its per-example overhead dominates otherwise
WEIGHTS = {"generic": 1, "wallboard_static": 3, "v2": 12, "v2_agent": 10, "asternic": 10}
DEFAULT_WEIGHT = 9  # each CPaaS and iSales operation


def budgets() -> dict[str, int]:
    """Examples (batches) per operation, in proportion to WEIGHTS, summing to TOTAL/BATCH."""
    weights = {}
    for _, _, op in schema.operations():
        key = op["operationId"] if op["operationId"] in WEIGHTS else op["x-dialect"]
        weights[op["operationId"]] = WEIGHTS.get(key, DEFAULT_WEIGHT)
    scale = TOTAL / BATCH / sum(weights.values())
    shares = {op_id: max(1, int(weight * scale)) for op_id, weight in weights.items()}
    shares["click2call"] += TOTAL // BATCH - sum(shares.values())
    return shares


def corpus() -> list[Probe]:
    """Generate every probe up front (no daemon involved, so no shrinking and no database)."""
    collected: list[Probe] = []
    shares = budgets()
    for method, path, op in schema.operations():
        strategy = st.lists(probes_for(method, path, op), min_size=BATCH, max_size=BATCH)

        @settings(
            max_examples=shares[op["operationId"]],
            database=None,
            deadline=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(strategy)
        def collect(batch: list[Probe]) -> None:
            collected.extend(batch)

        collect()
    return collected
