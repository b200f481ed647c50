"""A real Asterisk 20+ started for a test, the way a test suite starts a database.

Where it comes from, in order: ``CPAAS_ASTERISK`` (an ``asterisk`` binary of the user's
own, or a relocatable tarball), else the Asterisk 22 tarball in ``../shared/asterisk/``
beside the repository. :func:`locate` says why when there is none, and the tests skip with
that reason.

:class:`AsteriskRig` writes a config directory that ``#include``s the project's own
``asterisk/`` files verbatim (the deployment under test) plus the rig's phones (the
simulator's ``sim-endpoints`` and ``agents`` contexts, so a number behaves the same on
both), starts ``asterisk -f`` as a child process on free loopback ports, waits for the AMI
banner and stops it at the end.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHARED_TARBALLS = REPO.parent / "shared" / "asterisk"
SIM_DIALPLAN = REPO / "cpaas_daemon" / "sim" / "dialplan"
SOUNDS = Path("/usr/share/asterisk/sounds")
MOH = Path("/usr/share/asterisk/moh")
BANNER = b"Asterisk Call Manager/"

AMI_USER = "cpaas"  # the user asterisk/manager.conf ships
AMI_SECRET = "change-me-to-a-long-random-secret"

# autoload=no and explicit modules: start-up is faster and nothing unexpected loads.
_MODULES = (
    "pbx_config app_dial app_playback app_stack app_queue app_mixmonitor app_senddtmf "
    "app_read app_verbose app_exec res_speech res_agi cdr_csv cdr_manager codec_ulaw "
    "codec_alaw codec_gsm codec_resample format_wav format_gsm format_pcm format_sln "
    "func_callerid func_cdr func_channel func_logic func_strings func_global func_hangupcause "
    "bridge_simple bridge_softmix bridge_holding bridge_builtin_features "
    "bridge_builtin_interval_features res_musiconhold res_timing_timerfd"
)
MODULES = _MODULES.split()


class NoAsterisk(Exception):
    """No Asterisk binary or tarball is available on this machine."""


def locate() -> Path:
    """The ``asterisk`` binary to run, extracting a tarball once per process."""
    given = os.environ.get("CPAAS_ASTERISK")
    candidates = [Path(given)] if given else sorted(SHARED_TARBALLS.glob("asterisk-*.tar.xz"))
    for candidate in candidates:
        if candidate.is_file() and candidate.name.endswith((".tar.xz", ".tar.gz", ".tgz")):
            return _extracted(candidate)
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    where = f"CPAAS_ASTERISK={given}" if given else f"no tarball in {SHARED_TARBALLS}"
    raise NoAsterisk(f"no Asterisk binary ({where}); set CPAAS_ASTERISK to an Asterisk 20+")


_EXTRACTED: dict[Path, Path] = {}


def _extracted(tarball: Path) -> Path:
    if tarball not in _EXTRACTED:
        target = Path(tempfile.mkdtemp(prefix="cpaas-asterisk-"))
        with tarfile.open(tarball) as archive:
            archive.extractall(target, filter="tar")
        (binary,) = target.glob("**/sbin/asterisk")
        _EXTRACTED[tarball] = binary
    return _EXTRACTED[tarball]


@dataclass
class AsteriskRig:
    """One Asterisk process with its own config and state directories."""

    binary: Path
    ami_port: int
    cdr_unanswered: bool = True  # cdr.conf unanswered= and congestion= (Asterisk: no)
    extra_dialplan: str = ""  # contexts a test adds to extensions.conf (phones that speak)
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="ast-")))
    process: asyncio.subprocess.Process | None = None

    @property
    def prefix(self) -> Path:
        """Where the binary was installed: ``<prefix>/sbin/asterisk``."""
        return self.binary.parent.parent

    @property
    def log_dir(self) -> Path:
        return self.root / "log"

    @property
    def queue_log(self) -> Path:
        return self.log_dir / "queue_log"

    @property
    def master_csv(self) -> Path:
        return self.log_dir / "cdr-csv" / "Master.csv"

    @property
    def conf(self) -> Path:
        return self.root / "etc" / "asterisk.conf"

    def write_config(self) -> None:
        etc, data = self.root / "etc", self.root / "data"
        for directory in ("etc", "data", "lib", "spool", "run", "log/cdr-csv", "cache", "agi"):
            (self.root / directory).mkdir(parents=True, exist_ok=True)
        docs = self.prefix / "share" / "documentation"
        if docs.is_dir():
            (data / "documentation").symlink_to(docs)
        if SOUNDS.is_dir():
            (data / "sounds").symlink_to(SOUNDS)
        files = {
            "asterisk.conf": self._asterisk_conf(),
            "modules.conf": "[modules]\nautoload=no\n"
            + "".join(f"load = {name}.so\n" for name in MODULES),
            "logger.conf": "[general]\nqueue_log = yes\nqueue_log_to_file = yes\n"
            "queue_log_name = queue_log\n[logfiles]\nmessages.log => notice,warning,error\n",
            "manager.conf": f'#include "{REPO / "asterisk" / "manager.conf"}"\n'
            f"[general](+)\nport = {self.ami_port}\nbindaddr = 127.0.0.1\n",
            "cdr.conf": "[general]\nenable = yes\nbatch = no\n"
            f"unanswered = {'yes' if self.cdr_unanswered else 'no'}\n"
            f"congestion = {'yes' if self.cdr_unanswered else 'no'}\n"
            "[csv]\nusegmtime = no\nloguniqueid = yes\nloguserfield = yes\n",
            "cdr_manager.conf": "[general]\nenabled = yes\n",
            # Phones and agents talk 1 s, not the rig's 3 and 5 s: this runs in real time.
            "extensions.conf": "[general]\nstatic = yes\nwriteprotect = yes\n"
            "[globals]\nSIM_WAIT = 1\nAGENT_WAIT = 1\n"
            f'#include "{SIM_DIALPLAN / "sim.conf"}"\n'
            f'#include "{REPO / "asterisk" / "extensions_cpaas.conf"}"\n' + self.extra_dialplan,
            "features.conf": f'#include "{REPO / "asterisk" / "features_cpaas.conf"}"\n',
            "queues.conf": f'#include "{SIM_DIALPLAN / "queues.conf"}"\n',
            "musiconhold.conf": f"[default]\nmode = files\ndirectory = {MOH}\n",
            "indications.conf": "[general]\ncountry = us\n[us]\ndescription = US\n"
            "ringcadence = 2000,4000\ndial = 350+440\nbusy = 480+620/500,0/500\n"
            "ring = 440+480/2000,0/4000\ncongestion = 480+620/250,0/250\n",
            "res_agi.conf": "[general]\n",
        }
        for name, text in files.items():
            (etc / name).write_text(text)

    def _asterisk_conf(self) -> str:
        directories = {
            "astetcdir": self.root / "etc",
            "astmoddir": self.prefix / "lib" / "asterisk" / "modules",
            "astvarlibdir": self.root / "lib",
            "astdbdir": self.root / "lib",
            "astkeydir": self.root / "lib",
            "astdatadir": self.root / "data",
            "astagidir": self.root / "agi",
            "astspooldir": self.root / "spool",
            "astrundir": self.root / "run",
            "astlogdir": self.root / "log",
            "astcachedir": self.root / "cache",
            "astsbindir": self.binary.parent,
        }
        lines = "".join(f"{key} => {path}\n" for key, path in directories.items())
        return (
            f"[directories]\n{lines}"
            "[options]\ndocumentation_language = en_US\ndefaultlanguage = en\n"
            "transmit_silence = yes\n"  # Local channels carry audio MixMonitor can record
        )

    async def start(self, within: float = 30.0) -> None:
        """Start ``asterisk -f`` and return once it is fully booted (the AMI banner comes
        earlier, and an Originate before FullyBooted fails: "PBX requires Asterisk to be
        fully booted")."""
        if not (self.root / "etc" / "asterisk.conf").exists():
            self.write_config()
        self.process = await asyncio.create_subprocess_exec(
            str(self.binary), "-C", str(self.conf), "-f", "-n", "-q",
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        await self.booted(within)

    async def booted(self, within: float = 30.0) -> None:
        """Until Asterisk is fully booted (after a start, or a ``core restart now``)."""
        async with asyncio.timeout(within):
            while not await self._fully_booted():
                if self.process is None or self.process.returncode is not None:
                    raise RuntimeError("asterisk is not running")
                await asyncio.sleep(0.1)  # a child process has no event to await

    async def _fully_booted(self) -> bool:
        """Log in to AMI and wait for the FullyBooted event Asterisk sends each session."""
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", self.ami_port)
        except OSError:
            return False
        try:
            if not (await asyncio.wait_for(reader.readline(), 2)).startswith(BANNER):
                return False
            writer.write(
                f"Action: Login\r\nUsername: {AMI_USER}\r\nSecret: {AMI_SECRET}\r\n\r\n".encode()
            )
            async with asyncio.timeout(5):
                while line := await reader.readline():
                    if line.startswith(b"Event: FullyBooted"):
                        return True
            return False
        except (TimeoutError, OSError):
            return False
        finally:
            writer.close()

    async def cli(self, command: str) -> str:
        """``asterisk -rx``: what an operator types on the PBX's console."""
        process = await asyncio.create_subprocess_exec(
            str(self.binary), "-C", str(self.conf), "-rx", command,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        out, _ = await process.communicate()
        return out.decode(errors="replace")

    async def stop(self) -> None:
        if self.process is None or self.process.returncode is not None:
            return
        self.process.terminate()
        try:
            await asyncio.wait_for(self.process.wait(), 10)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None

    def log_tail(self, lines: int = 30) -> str:
        """The end of Asterisk's messages.log: why it stopped, when it did."""
        path = self.log_dir / "messages.log"
        text = path.read_text(errors="replace") if path.exists() else "(no messages.log)"
        return "\n".join(text.splitlines()[-lines:])

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


class AmiWatch:
    """A second AMI session on the PBX that records every event, as an operator's
    monitoring tool would: what Asterisk did, seen from outside the daemon."""

    def __init__(self, port: int, events: str = "on") -> None:
        self.port = port
        self.mask = events  # Login's Events: "on", or classes such as "call"
        self.events: list[dict[str, str]] = []
        self._changed = asyncio.Condition()
        self._reader: asyncio.Task[None] | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def __aenter__(self) -> AmiWatch:
        reader, self._writer = await asyncio.open_connection("127.0.0.1", self.port)
        await reader.readline()
        self._writer.write(
            f"Action: Login\r\nUsername: {AMI_USER}\r\nSecret: {AMI_SECRET}\r\n"
            f"Events: {self.mask}\r\n\r\n".encode()
        )
        self._reader = asyncio.create_task(self._read(reader))
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._reader is not None:
            self._reader.cancel()
        if self._writer is not None:
            self._writer.close()

    def send(self, **fields: str) -> None:
        """An action of the test's own (an inbound call arriving, say)."""
        assert self._writer is not None
        self._writer.write(("".join(f"{k}: {v}\r\n" for k, v in fields.items()) + "\r\n").encode())

    async def _read(self, reader: asyncio.StreamReader) -> None:
        frame: dict[str, str] = {}
        while line := await reader.readline():
            text = line.decode(errors="replace").rstrip("\r\n")
            if text:
                key, _, value = text.partition(": ")
                frame.setdefault(key, value)
                continue
            if "Event" in frame:
                async with self._changed:
                    self.events.append(frame)
                    self._changed.notify_all()
            frame = {}

    def matching(
        self, predicate: Callable[[dict[str, str]], bool] | None = None, **fields: str
    ) -> list[dict[str, str]]:
        """Events with these exact fields (and for which ``predicate`` holds)."""
        return [
            e
            for e in self.events
            if all(e.get(k) == v for k, v in fields.items()) and (predicate is None or predicate(e))
        ]

    async def wait(
        self,
        predicate: Callable[[dict[str, str]], bool] | None = None,
        within: float = 20.0,
        **fields: str,
    ) -> dict[str, str]:
        """The first such event, waiting for it to come."""
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(lambda: bool(self.matching(predicate, **fields)))
        return self.matching(predicate, **fields)[0]
