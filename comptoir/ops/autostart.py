"""The till starts at logon: ``comptoir start`` registered with the system.

On Windows, a Scheduled Task (``schtasks /Create /XML``) with a logon trigger for the
current user, restarted on failure, with no time limit, running ``pythonw -m comptoir
start --home ...`` (no console window). On Linux, a systemd user unit,
``~/.config/systemd/user/comptoir-till.service`` (``systemctl --user enable --now``).

What is generated (the task's XML, the unit's text) is pure and tested as text; the calls
to the system (``schtasks``, ``systemctl``) are made only by :func:`install`,
:func:`remove` and :func:`status`, guarded by platform.
"""

from __future__ import annotations

import os
import re
import site
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path, PurePath, PureWindowsPath

from django.utils.translation import gettext as _

import comptoir
from comptoir.lib.errors import ComptoirError, ValidationError

TASK_NAME = "comptoir-till"
UNIT_NAME = "comptoir-till.service"
TASK_NS = "http://schemas.microsoft.com/windows/2004/02/mit/task"
# Restart on failure: every minute (the schema's minimum), as many times as it allows.
RESTART_INTERVAL = "PT1M"
RESTART_COUNT = 255
# A task's default priority (7) runs it below normal, with low I/O priority: not a till.
TASK_PRIORITY = 5


@dataclass(frozen=True)
class Launch:
    """What the system runs at logon: ``program`` with ``args``, from ``directory``."""

    program: str
    args: tuple[str, ...]
    directory: str


def launch_for(home: PurePath, *, windows: bool, interpreter: str | None = None) -> Launch:
    """``python -m comptoir start --home HOME`` with this interpreter (``pythonw.exe`` on
    Windows: no console window). Linux's unit does not open a browser: a user service may
    start before the desktop. The directory is the source checkout when comptoir is not
    installed in the interpreter (``-m`` then finds it there), else the home."""
    program = (PureWindowsPath if windows else PurePath)(interpreter or sys.executable)
    if windows and program.name.lower() == "python.exe":
        program = program.with_name("pythonw.exe")
    args: tuple[str, ...] = ("-m", "comptoir", "start", "--home", str(home))
    if not windows:
        args = (*args, "--no-browser")
    source = Path(comptoir.__file__).resolve().parent.parent
    installed = {Path(p).resolve() for p in [*site.getsitepackages(), site.getusersitepackages()]}
    directory = str(home) if source in installed else str(source)
    return Launch(program=str(program), args=args, directory=directory)


def _refuse_control_characters(*values: str) -> None:
    for value in values:
        if any(ord(c) < 32 or ord(c) == 127 for c in value):
            raise ValidationError(
                _(
                    "le chemin « %(value)s » contient un caractère de contrôle : le démarrage "
                    "automatique ne peut pas le lancer."
                )
                % {"value": value.encode("unicode_escape").decode("ascii")}
            )


# -- Windows: the Scheduled Task ----------------------------------------------------------


def windows_quote(arg: str) -> str:
    """``arg`` as one argument of a Windows command line (the C runtime's rules, which
    Python follows on Windows); anything but a plain word is quoted."""
    if re.fullmatch(r"[\w.-]+", arg, re.ASCII):
        return arg
    out: list[str] = []
    backslashes = 0
    for char in arg:
        if char == "\\":
            backslashes += 1
            continue
        if char == '"':
            out.append("\\" * (2 * backslashes + 1) + '"')
        else:
            out.append("\\" * backslashes + char)
        backslashes = 0
    out.append("\\" * (2 * backslashes))
    return '"' + "".join(out) + '"'


def task_xml(launch: Launch, *, user: str, home: PurePath) -> str:
    """The Scheduled Task (Task Scheduler schema 1.2) that runs ``launch`` at ``user``'s
    logon, in the user's session, restarted on failure, never stopped for running long."""
    _refuse_control_characters(launch.program, launch.directory, *launch.args)
    ET.register_namespace("", TASK_NS)

    def sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
        element = ET.SubElement(parent, f"{{{TASK_NS}}}{tag}")
        if text is not None:
            element.text = text
        return element

    task = ET.Element(f"{{{TASK_NS}}}Task", {"version": "1.2"})
    info = sub(task, "RegistrationInfo")
    sub(info, "Description", _("comptoir : la caisse de %(home)s") % {"home": home})
    sub(info, "URI", f"\\{TASK_NAME}")
    logon = sub(sub(task, "Triggers"), "LogonTrigger")
    sub(logon, "Enabled", "true")
    sub(logon, "UserId", user)
    principal = sub(sub(task, "Principals"), "Principal")
    principal.set("id", "Author")
    sub(principal, "UserId", user)
    sub(principal, "LogonType", "InteractiveToken")
    sub(principal, "RunLevel", "LeastPrivilege")
    settings = sub(task, "Settings")
    for tag, text in (
        ("MultipleInstancesPolicy", "IgnoreNew"),
        ("DisallowStartIfOnBatteries", "false"),
        ("StopIfGoingOnBatteries", "false"),
        ("AllowHardTerminate", "true"),
        ("StartWhenAvailable", "true"),
        ("RunOnlyIfNetworkAvailable", "false"),
        ("AllowStartOnDemand", "true"),
        ("Enabled", "true"),
        ("Hidden", "false"),
        ("RunOnlyIfIdle", "false"),
        ("WakeToRun", "false"),
        ("ExecutionTimeLimit", "PT0S"),
        ("Priority", str(TASK_PRIORITY)),
    ):
        sub(settings, tag, text)
    idle = sub(settings, "IdleSettings")
    sub(idle, "StopOnIdleEnd", "false")
    sub(idle, "RestartOnIdle", "false")
    restart = sub(settings, "RestartOnFailure")
    sub(restart, "Interval", RESTART_INTERVAL)
    sub(restart, "Count", str(RESTART_COUNT))
    actions = sub(task, "Actions")
    actions.set("Context", "Author")
    exec_ = sub(actions, "Exec")
    sub(exec_, "Command", launch.program)
    sub(exec_, "Arguments", " ".join(windows_quote(arg) for arg in launch.args))
    sub(exec_, "WorkingDirectory", launch.directory)
    ET.indent(task)
    # schtasks reads the file in UTF-16 (with its byte order mark), as it writes them.
    return '<?xml version="1.0" encoding="UTF-16"?>\n' + ET.tostring(task, encoding="unicode")


# -- Linux: the systemd user unit ---------------------------------------------------------


def systemd_escape(value: str) -> str:
    """``value`` where a unit file expands specifiers (``%``) and variables (``$``)."""
    return value.replace("%", "%%").replace("$", "$$")


def systemd_quote(arg: str) -> str:
    """``arg`` as one word of ``ExecStart=``: double-quoted, C-style escapes."""
    return '"' + systemd_escape(arg).replace("\\", "\\\\").replace('"', '\\"') + '"'


def systemd_unit(launch: Launch, *, home: PurePath) -> str:
    """The user unit that serves the till from logon, restarted if it fails."""
    _refuse_control_characters(launch.program, launch.directory, *launch.args)
    command = " ".join(systemd_quote(arg) for arg in (launch.program, *launch.args))
    description = _("comptoir : la caisse de %(home)s") % {"home": home}
    return (
        "[Unit]\n"
        f"Description={systemd_escape(description)}\n"
        "\n"
        "[Service]\n"
        "Type=simple\n"
        f"WorkingDirectory={systemd_escape(launch.directory)}\n"
        f"ExecStart={command}\n"
        "Environment=PYTHONUNBUFFERED=1\n"
        "Restart=on-failure\n"
        "RestartSec=5\n"
        "TimeoutStopSec=30\n"
        "\n"
        "[Install]\n"
        "WantedBy=default.target\n"
    )


def unit_path() -> Path:
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "systemd" / "user" / UNIT_NAME


# -- registering --------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """What ``install`` writes and runs on this system (``--print`` shows it)."""

    system: str  # "windows" or "systemd"
    path: Path | None  # the unit file; None for a task (registered from a temporary file)
    text: str
    install: tuple[tuple[str, ...], ...]
    remove: tuple[tuple[str, ...], ...]


def plan_for(home: Path) -> Plan:
    if sys.platform == "win32":
        from comptoir.lib.private import windows_owner

        text = task_xml(launch_for(home, windows=True), user=windows_owner(), home=home)
        return Plan(
            system="windows",
            path=None,
            text=text,
            install=(
                ("schtasks", "/Create", "/TN", TASK_NAME, "/XML", "TACHE.xml", "/F"),
                ("schtasks", "/Run", "/TN", TASK_NAME),
            ),
            remove=(
                ("schtasks", "/End", "/TN", TASK_NAME),
                ("schtasks", "/Delete", "/TN", TASK_NAME, "/F"),
            ),
        )
    if sys.platform.startswith("linux"):
        return Plan(
            system="systemd",
            path=unit_path(),
            text=systemd_unit(launch_for(home, windows=False), home=home),
            install=(
                ("systemctl", "--user", "daemon-reload"),
                ("systemctl", "--user", "enable", "--now", UNIT_NAME),
            ),
            remove=(
                ("systemctl", "--user", "disable", "--now", UNIT_NAME),
                ("systemctl", "--user", "daemon-reload"),
            ),
        )
    raise ComptoirError(
        _(
            "le démarrage automatique n'est pris en charge que sous Windows et Linux (système : "
            "%(system)s)."
        )
        % {"system": sys.platform}
    )


def _run(command: tuple[str, ...]) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ComptoirError(
            _("la commande « %(command)s » n'a pas pu être lancée : %(error)s.")
            % {"command": " ".join(command), "error": exc}
        ) from None


def _check(command: tuple[str, ...]) -> None:
    result = _run(command)
    if result.returncode != 0:
        raise ComptoirError(
            _("« %(command)s » a échoué (code %(code)d) : %(output)s")
            % {
                "command": " ".join(command),
                "code": result.returncode,
                "output": (result.stderr or result.stdout).strip() or "-",
            }
        )


def install(plan: Plan) -> None:
    """Register the plan and start the till now; on failure, what was written is undone."""
    if plan.system == "windows":
        with tempfile.TemporaryDirectory() as folder:
            xml = Path(folder) / "comptoir-till.xml"
            xml.write_text(plan.text, encoding="utf-16")
            create, run = plan.install
            _check(tuple(str(xml) if part == "TACHE.xml" else part for part in create))
        _check(run)
        return
    assert plan.path is not None
    before = plan.path.read_text(encoding="utf-8") if plan.path.exists() else None
    plan.path.parent.mkdir(parents=True, exist_ok=True)
    plan.path.write_text(plan.text, encoding="utf-8")
    try:
        for command in plan.install:
            _check(command)
    except ComptoirError:
        if before is None:
            plan.path.unlink(missing_ok=True)
        else:
            plan.path.write_text(before, encoding="utf-8")
        _run(("systemctl", "--user", "daemon-reload"))
        raise


def remove(plan: Plan) -> bool:
    """Stop and unregister; False when nothing was registered."""
    if plan.system == "windows":
        if _run(("schtasks", "/Query", "/TN", TASK_NAME)).returncode != 0:
            return False
        end, delete = plan.remove
        _run(end)  # fails when the task is not running: that is fine
        _check(delete)
        return True
    assert plan.path is not None
    if not plan.path.exists():
        return False
    _check(plan.remove[0])
    plan.path.unlink()
    _check(plan.remove[1])
    return True


@dataclass(frozen=True)
class Registered:
    installed: bool
    for_this_home: bool


def registered(plan: Plan) -> Registered:
    """Whether the system has the task or unit, and whether it is this home's."""
    if plan.system == "windows":
        query = _run(("schtasks", "/Query", "/TN", TASK_NAME, "/XML", "ONE"))
        if query.returncode != 0:
            return Registered(installed=False, for_this_home=False)
        return Registered(
            installed=True,
            for_this_home=_task_arguments(query.stdout) == _task_arguments(plan.text),
        )
    assert plan.path is not None
    if not plan.path.exists():
        return Registered(installed=False, for_this_home=False)
    text = plan.path.read_text(encoding="utf-8", errors="replace")
    return Registered(installed=True, for_this_home=_exec_start(text) == _exec_start(plan.text))


def _task_arguments(xml: str) -> str | None:
    try:
        root = ET.fromstring(xml.lstrip("\ufeff").split("?>", 1)[-1])
    except ET.ParseError:
        return None
    found = root.find(f".//{{{TASK_NS}}}Exec/{{{TASK_NS}}}Arguments")
    return found.text if found is not None else None


def _exec_start(unit: str) -> str | None:
    return next((line for line in unit.splitlines() if line.startswith("ExecStart=")), None)
