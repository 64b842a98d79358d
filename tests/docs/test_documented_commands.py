"""Every command line in README.md and docs/ runs as written; links and paths in them resolve.

What a command line is: tests/support/markdown.py (fenced `sh`/`bash`/`shell`/`console` blocks,
unlabelled blocks holding commands, inline spans; each starting with `make`, `smartcity`,
`.venv/bin/<program>`, `python`, `pytest`, `curl`, `export`, `bash` or `sh`). A line of a command
block that is not one fails `test_every_line_of_a_command_block_is_a_command`.

How each is checked (`kind`):

- program: a command word alone in an inline span must name a program;
- synopsis: an inline span with a metavariable (an all-capital word such as `FILE`, `N` or
  `YYYY-MM-DD`, `…`, `[optional part]`, `<name>`) must name a real sub-command and real options;
- allowed: the few commands of ALLOWED are not run (each has its reason), only checked to be
  well-formed; so are the benchmarks (BENCHMARK), minutes each, which `make bench` runs;
- run: every other one runs with bash in a sandbox (tests/support/sandbox.py), a fresh copy of
  the project with the demo city loaded (BEFORE names the commands that need another state), the
  files it names made (INPUTS) and `$TOKEN`-like placeholders made as its page says (TOKENS).
  It must exit 0. One that runs until stopped (LONG_RUNNING) must do its job once, then stop on
  Ctrl-C (SIGINT) with exit code 0. One that calls http://127.0.0.1:8000 runs while
  `smartcity serve` serves the sandbox, and each request it makes must succeed. Commands naming
  an MQTT broker are marked `mqtt` and use the broker they name.

`.venv/bin/smartcity` and `smartcity` are the same program (`.venv/bin` comes first on PATH).
With SMARTCITY_TEST_DATABASE_URL set, the commands use PostgreSQL databases of their own instead
of the default SQLite file.
"""

from __future__ import annotations

import json
import os
import re
import socket
import tomllib
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

import pytest
import typer

from tests.support.markdown import Line, anchors, links, read_commands
from tests.support.sandbox import SHARED, Running, Sandbox, States, port_to_oneself

ROOT = Path(__file__).resolve().parents[2]
PAGES = (ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md")))
POSTGRES_URL = os.environ.get("SMARTCITY_TEST_DATABASE_URL", "")
METAVARIABLE = re.compile(r"…|\.\.\.|\[|<[\w-]+>|\b[A-Z][A-Z0-9]*(?:[-_][A-Z0-9]+)*\b(?!=)")
BENCHMARK = re.compile(r"\.venv/bin/python (bench/[\w.]+\.py)((?: --[\w-]+ \S+)*)")
SERVING = re.compile(r"(?:\S+=\S+ )*(?:make run$|smartcity serve\b)")
# A make target, with or without settings before it.
MAKE = re.compile(r"(?:\S+=\S+ )*make ")
SERVER = "http://127.0.0.1:8000"

# The state README's set-up leaves, in which every command runs unless BEFORE says otherwise.
DEMO_CITY = ("smartcity db upgrade", "smartcity demo load")
FAQ_IMPORT = (
    "smartcity chatbot import --format taipei-faq-xml ../shared/data/faq/taipei-faq-2017.xml"
)
# The set-up commands themselves, a command whose example needs a line above it in its block,
# and a command that needs less than the demo city.
BEFORE: dict[str, tuple[str, ...]] = {
    "make run": (),
    "SMARTCITY_CITY=kaohsiung SMARTCITY_DATA_DIR=var/kaohsiung make run": (),
    "smartcity db upgrade": (),
    "smartcity demo load": ("smartcity db upgrade",),
    # In the demo city it would embed every text the demo asked for (a minute of CPU), which
    # the browser tests' set-up already does; here it need only run as written.
    "smartcity jobs run-ready": ("smartcity db upgrade",),
    'smartcity chatbot teach --question "請保姆有補助嗎" --item GIP_94145712': (
        *DEMO_CITY,
        FAQ_IMPORT,
    ),
}

# Files the docs' commands read, under the names the docs give them.
INPUTS = {
    "FILE": "|ver_format=3|app=AirBox|device_id=DOCS00000001|date=2026-11-26|time=08:00:00"
    "|s_d0=17|s_d1=23|s_t0=24.5|s_h0=68|gps_lat=25.0330|gps_lon=121.5654|\n",
    "items.jsonl": json.dumps(
        {
            "question": "圖書館的還書箱在哪裡？",
            "answer": "各分館門口都有還書箱，24 小時開放。",
            "source_id": "DOCS-001",
            "department_code": "TPML",
            "keywords": ["還書箱"],
        },
        ensure_ascii=False,
    )
    + "\n",
    "questions.txt": "育兒津貼怎麼申請\n垃圾車幾點來\n",
    "taught.jsonl": json.dumps(
        {"question": "寶寶的津貼去哪裡辦", "item": "DEMO-001"}, ensure_ascii=False
    )
    + "\n",
    "settlement-711-20261126.txt": "provider_txn_id,reference,amount,paid_at\n"
    "711-DOCS-0001,95270000000000001,100,2026-11-26T10:00:00\n",
}
# Credentials the docs write as `$NAME`, each made by the command its page gives for it.
TOKENS = {
    "TOKEN": "smartcity admin create-token --role device --organisation LASS",
    "ADMIN": "smartcity admin create-token --role admin",
    "DETECTOR": "smartcity admin create-token --role device --organisation AUDIO-DET",
}

# Documented commands that are not run here, each with the reason (keep this list short).
ALLOWED = {
    "make test": "the suite this test is part of; .ci/run runs it",
    "make lint": "ruff, mypy and import-linter over the whole tree; .ci/run runs it first",
    "make test-postgres": "this suite again on PostgreSQL; .ci/run runs it",
    "make test-mqtt": "the MQTT suites, this file's included; .ci/run runs it",
    "make test-scale": "starts six processes on PostgreSQL and MQTT for a minute; .ci/run runs it",
    "make test-browser": "a suite of its own, minutes in Chromium; .ci/run runs it",
    "make test-api": "a suite of its own, schemathesis for minutes; .ci/run runs it",
    "make bench": "every benchmark, tens of minutes on a quiet machine",
    ".venv/bin/python -m pip install -e '.[redis]'": "would change the suite's own environment",
}


def key(text: str) -> str:
    """The command as the tables here name it: `.venv/bin/smartcity` written `smartcity`."""
    return re.sub(r"^((?:[A-Za-z_]\w*=\S*\s+)*)\.venv/bin/smartcity\b", r"\1smartcity", text)


def kind(line: Line) -> str:
    """How a command line is checked: program, synopsis, allowed or run."""
    name = key(line.text)
    if name in ALLOWED or BENCHMARK.fullmatch(name):
        return "allowed"
    if line.inline and " " not in name:
        return "program"
    if line.inline and METAVARIABLE.search(name):
        return "synopsis"
    return "run"


def _name(page: Path) -> str:
    return page.relative_to(ROOT).as_posix()


def _documented() -> dict[tuple[str, str], list[Line]]:
    """Every command line of README.md and docs/, by (kind, key), in the order written."""
    found: dict[tuple[str, str], list[Line]] = {}
    for page in PAGES:
        for line in read_commands(page.read_text(encoding="utf-8"), _name(page))[0]:
            found.setdefault((kind(line), key(line.text)), []).append(line)
    return found


DOCUMENTED = _documented()


def _of_kind(wanted: str) -> dict[str, list[Line]]:
    return {name: lines for (found, name), lines in DOCUMENTED.items() if found == wanted}


def _where(lines: list[Line]) -> str:
    return ", ".join(line.where for line in lines)


def _params(wanted: str) -> list[object]:
    params: list[object] = []
    for name in _of_kind(wanted):
        marks: list[pytest.MarkDecorator] = []
        if wanted == "run" and re.search(r"mqtt://|^smartcity sensors mqtt\b", name):
            marks.append(pytest.mark.mqtt)
        params.append(pytest.param(name, marks=marks, id=name))
    return params


# --- The rule, checked on itself and on the docs ----------------------------------------------

SAMPLE = """\
Run `make demo-things` and then `smartcity audit
verify`; `smartcity` is the tool, `SMARTCITY_X` a setting and `make` alone a program.

```sh
smartcity db upgrade      # apply migrations
smartcity demo load \\
    --quiet
```

```console
$ make help
  make run   Install, migrate…
```

```
curl -d 'a # b' http://127.0.0.1:8000/x
FOO=1 python -c pass
```

```
modules/identity/
  cli.py   `smartcity admin …`
```

```bash
echo hello
```

```python
smartcity = "not a command"
```
"""


def test_the_reader_finds_every_form_of_command_line() -> None:
    commands, strays = read_commands(SAMPLE, "sample.md")
    assert [(line.text, line.where, line.inline) for line in commands] == [
        ("smartcity db upgrade", "sample.md:5", False),
        ("smartcity demo load --quiet", "sample.md:6", False),
        ("make help", "sample.md:11", False),
        ("curl -d 'a # b' http://127.0.0.1:8000/x", "sample.md:16", False),
        ("FOO=1 python -c pass", "sample.md:17", False),
        ("make demo-things", "sample.md:1", True),
        ("smartcity audit verify", "sample.md:1", True),
        ("smartcity", "sample.md:2", True),
        ("make", "sample.md:2", True),
    ]
    assert [line.text for line in strays] == ["echo hello"]


def test_a_prompt_outside_a_console_block_is_no_command() -> None:
    commands, strays = read_commands("```sh\n$ smartcity db upgrade\n```\n", "x.md")
    assert not commands
    assert [line.text for line in strays] == ["$ smartcity db upgrade"]


def test_each_kind_of_command_line_is_told_apart() -> None:
    def of(text: str, inline: bool = True) -> str:
        return kind(Line(text, "x.md:1", inline))

    assert of(".venv/bin/smartcity") == "program"
    assert of("smartcity serve --workers N") == "synopsis"
    assert of("smartcity airquality quality --day YYYY-MM-DD [--slice-minutes N]") == "synopsis"
    assert of("smartcity airquality calibrate --day …") == "synopsis"
    assert of("SMARTCITY_ENVIRONMENT=demo smartcity serve") == "run"
    assert of("smartcity sensors ingest FILE", inline=False) == "run"
    assert of("make test") == "allowed"
    assert of(".venv/bin/python bench/bench_sensors_mqtt.py --steps 30") == "allowed"
    assert of(".venv/bin/smartcity audit verify") == "run"


def test_every_line_of_a_command_block_is_a_command() -> None:
    strays = [
        line
        for page in PAGES
        for line in read_commands(page.read_text(encoding="utf-8"), _name(page))[1]
    ]
    assert not strays, "lines of command blocks that start with no command word: " + ", ".join(
        f"{line.where} `{line.text}`" for line in strays
    )


def test_the_tables_here_name_only_documented_commands() -> None:
    texts = [name for _, name in DOCUMENTED]
    stale = [name for name in BEFORE if name not in _of_kind("run")]
    stale += [name for name in ALLOWED if name not in _of_kind("allowed")]
    stale += [name for name in INPUTS if not any(_names_file(text, name) for text in texts)]
    stale += [name for name in TOKENS if not any(f"${name}" in text for text in texts)]
    assert not stale, f"no longer in the docs: {stale}"


def test_each_placeholder_is_made_as_its_page_says() -> None:
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for name, making in TOKENS.items():
            if re.search(rf"\${name}\b", text):
                assert making in text, f"{_name(page)} uses ${name} but does not say `{making}`"


def _names_file(command: str, name: str) -> bool:
    return bool(re.search(rf"(?<!\S){re.escape(name)}(?!\S)", command))


# --- Running them -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def states(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[States]:
    made = States(
        tmp_path_factory.mktemp("docs-states"), POSTGRES_URL, f"{worker_id}_{os.getpid()}"
    )
    yield made
    made.close()


@pytest.mark.parametrize("name", _params("run"))
def test_documented_command_runs(name: str, states: States, tmp_path: Path) -> None:
    lines = _of_kind("run")[name]
    command, where = lines[0].text, _where(lines)
    before = BEFORE.get(name, DEMO_CITY)
    if "../shared/" in " ".join((command, *before)) and not SHARED.is_dir():
        pytest.skip(f"{SHARED} is absent")
    with states.fresh(tmp_path, before) as box, ExitStack() as stack:
        if MAKE.match(command):
            # A stale .venv would be reinstalled, through the sandbox's link, from the sandbox.
            dry_run = box.run(f"{command} --dry-run").stdout
            assert "pip install" not in dry_run, ".venv is out of date: run `make test` first"
        for file, content in INPUTS.items():
            if _names_file(command, file):
                box.write(file, content)
        for variable, making in TOKENS.items():
            if f"${variable}" in command:
                made = box.run(making)
                assert made.returncode == 0, made.stderr
                box.variables[variable] = made.stdout.strip()
        calls_server = SERVER in command and not SERVING.match(name)
        if calls_server or SERVING.match(name):
            stack.enter_context(port_to_oneself(8000))
        server = stack.enter_context(box.start("smartcity serve")) if calls_server else None
        if server is not None:
            server.wait_for(lambda: _status("/readyz") == 200, f"answer at {SERVER}/readyz")
        probe = next((probe for pattern, probe in LONG_RUNNING if pattern.match(name)), None)
        if probe is None:
            done = box.run(command)
            assert done.returncode == 0, (
                f"`{command}` ({where}) exited {done.returncode}:\n{done.stdout}{done.stderr}"
            )
        else:
            running = probe(lambda: stack.enter_context(box.start(command)), box, stack)
            _assert_stops_cleanly(running, where)
        if server is not None:
            _assert_stops_cleanly(server, "the server it called")
            _assert_requests_succeeded(server, command)


def _assert_stops_cleanly(running: Running, where: str) -> None:
    # make, and the shells that run its recipe, die of an interrupt whatever the recipe's program
    # does: Ctrl-C goes to the programs alone, so that make's exit code tells how they ended.
    make = MAKE.match(running.command) is not None
    status = running.interrupt(spare=frozenset({"make", "sh", "dash", "bash"} if make else ()))
    output = running.output
    assert status == 0, f"`{running.command}` ({where}) exited {status} on Ctrl-C:\n{output}"
    assert "Traceback" not in output, f"`{running.command}` ({where}):\n{output}"


def _assert_requests_succeeded(server: Running, command: str) -> None:
    # The server logs one JSON line per request.
    requests = [json.loads(line) for line in server.output.splitlines() if line.startswith("{")]
    made = [entry for entry in requests if entry["path"] != "/readyz"]
    assert made, f"`{command}` made no request to the server"
    failed = [entry for entry in made if entry["status"] >= 400]
    assert not failed, f"`{command}`: requests failed: {failed}"


def _status(path: str) -> int:
    try:
        with urllib.request.urlopen(f"{SERVER}{path}", timeout=2) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


# How a command that runs until stopped shows that it did its job once. Each gets a function that
# starts the command, the sandbox and the test's exit stack, and returns the command running.
Probe = Callable[[Callable[[], Running], Sandbox, ExitStack], Running]


def _answers_http(start: Callable[[], Running], box: Sandbox, stack: ExitStack) -> Running:
    running = start()
    running.wait_for(lambda: _status("/readyz") == 200, f"answer at {SERVER}/readyz")
    assert _status("/healthz") == 200
    return running


def _delivers_a_round(start: Callable[[], Running], box: Sandbox, stack: ExitStack) -> Running:
    running = start()
    running.wait_for(lambda: re.search(r"\bdelivered=\d+", running.output), "round of deliveries")
    return running


def _starts_working(start: Callable[[], Running], box: Sandbox, stack: ExitStack) -> Running:
    running = start()
    running.wait_for(lambda: "looked for due jobs" in running.output, "first look at the queue")
    return running


def _uploads_a_round(start: Callable[[], Running], box: Sandbox, stack: ExitStack) -> Running:
    running = start()
    running.wait_for(lambda: "round 1:" in running.output, "first round of uploads")
    return running


def _publishes_a_round(start: Callable[[], Running], box: Sandbox, stack: ExitStack) -> Running:
    heard = _Listener("LASS/AirBox/#")
    stack.callback(heard.close)
    running = start()
    # A simulation publishes in rounds; a replay reports what it replayed.
    done = re.compile(r"^(?:round 1:|replayed \d+ of)", re.MULTILINE)
    running.wait_for(lambda: done.search(running.output) and heard.count, "round published")
    return running


def _stores_a_reading(start: Callable[[], Running], box: Sandbox, stack: ExitStack) -> Running:
    from paho.mqtt.client import Client
    from paho.mqtt.enums import CallbackAPIVersion
    from sqlalchemy import create_engine, func, select

    from smartcity.modules.sensors.lass import format_line
    from smartcity.modules.sensors.models import Thing

    # The documented command uses the default persistent sessions (one per connection of the
    # ingester, see LANES): start them empty, leave none.
    # With `--shared GROUP`, the sessions are the first member's of that group on this host.
    from smartcity.modules.sensors.mqtt import LANES

    for base in ("smartcity-sensors-ingester", *_first_members()):
        for session in (base, *(f"{base}.{lane}" for lane in range(1, LANES))):
            _forget_session(session)
            stack.callback(_forget_session, session)
    engine = create_engine(box.engine_url)
    stack.callback(engine.dispose)
    publisher = Client(CallbackAPIVersion.VERSION2)
    publisher.connect("127.0.0.1", 1883)
    publisher.loop_start()
    stack.callback(publisher.disconnect)
    stack.callback(publisher.loop_stop)
    device = f"DOCS{uuid.uuid4().hex[:8].upper()}"
    running = start()

    def stored() -> bool:
        # Published until stored: the ingester subscribes only once it has connected.
        now = datetime.now(UTC).replace(microsecond=0)
        line = format_line(device, now, {"pm25": 17.0}, 25.0330, 121.5654)
        publisher.publish(f"LASS/AirBox/{device}", line, qos=1).wait_for_publish(10)
        with engine.connect() as connection:
            things = select(func.count()).select_from(Thing).where(Thing.device_id == device)
            return bool(connection.scalar(things))

    running.wait_for(stored, f"reading of {device} stored")
    return running


LONG_RUNNING: tuple[tuple[re.Pattern[str], Probe], ...] = (
    (SERVING, _answers_http),
    (re.compile(r"smartcity sensors mqtt\b"), _stores_a_reading),
    (re.compile(r"smartcity sensors simulate\b.*--mqtt"), _publishes_a_round),
    (re.compile(r"smartcity sensors simulate\b.*--http"), _uploads_a_round),
    (re.compile(r"smartcity payments webhooks deliver\b.*--loop"), _delivers_a_round),
    (re.compile(r"smartcity worker\b"), _starts_working),
)


class _Listener:
    """Counts the messages published to a topic filter on the docs' broker."""

    def __init__(self, topics: str) -> None:
        from paho.mqtt.client import Client
        from paho.mqtt.enums import CallbackAPIVersion

        self.count = 0
        self.client = Client(CallbackAPIVersion.VERSION2)
        self.client.on_message = lambda *_: self._heard()
        self.client.connect("127.0.0.1", 1883)
        self.client.subscribe(topics, qos=1)
        self.client.loop_start()

    def _heard(self) -> None:
        self.count += 1

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def _first_members() -> list[str]:
    """The client ids of the first ingester of each shared group the docs run, on this host."""
    groups = {
        match.group(1)
        for name in _of_kind("run")
        for match in re.finditer(r"smartcity sensors mqtt\b.*--shared (\S+)", name)
    }
    host = socket.gethostname()
    return [f"smartcity-sensors-ingester-{group}-{host}-1" for group in sorted(groups)]


def _forget_session(client_id: str) -> None:
    from paho.mqtt.client import Client, MQTTv311
    from paho.mqtt.enums import CallbackAPIVersion

    # An MQTT 3.1.1 connection with a clean session makes the broker drop the stored one.
    client = Client(CallbackAPIVersion.VERSION2, client_id, clean_session=True, protocol=MQTTv311)
    client.connect("127.0.0.1", 1883)
    client.disconnect()


# --- Synopses, programs and the commands not run --------------------------------------------


@pytest.fixture(scope="module")
def cli() -> object:
    from smartcity.cli import build_cli

    return typer.main.get_command(build_cli())


def synopsis_problems(synopsis: str, cli: object) -> list[str]:
    """What a synopsis names that the command line tool does not have."""
    words = synopsis.replace("[", " ").replace("]", " ").split()
    if words[0] != "smartcity":
        return [f"a synopsis of `{words[0]}` cannot be checked"]
    command, path = cli, ["smartcity"]
    for word in words[1:]:
        # A group's sub-commands, asked as the command line asks (a module's are built then).
        find = getattr(command, "get_command", None)
        if find is None or word.startswith("-"):
            break
        if METAVARIABLE.fullmatch(word):
            return []  # `smartcity <name> …`: any sub-command
        found = find(typer.Context(command), word)
        if found is None:
            return [f"`{' '.join(path)}` has no sub-command `{word}`"]
        command, path = found, [*path, word]
    options = {
        option
        for param in getattr(command, "params", ())
        for option in (*param.opts, *param.secondary_opts)
    }
    return [
        f"`{' '.join(path)}` has no option `{option}`"
        for option in (word.split("=")[0] for word in words if word.startswith("--"))
        if option not in options
    ]


def test_a_wrong_synopsis_is_caught(cli: object) -> None:
    assert synopsis_problems("smartcity payments ledger balances [--prefix …]", cli) == []
    assert synopsis_problems("smartcity <name> …", cli) == []
    assert synopsis_problems("smartcity payments ledger sum --prefix …", cli) == [
        "`smartcity payments ledger` has no sub-command `sum`"
    ]
    assert synopsis_problems("smartcity serve --threads N", cli) == [
        "`smartcity serve` has no option `--threads`"
    ]


@pytest.mark.parametrize("name", _params("synopsis"))
def test_synopsis_names_a_real_command_and_its_options(name: str, cli: object) -> None:
    problems = synopsis_problems(name, cli)
    assert not problems, f"{_where(_of_kind('synopsis')[name])}: {problems}"


@pytest.mark.parametrize("name", _params("program"))
def test_named_program_exists(name: str, tmp_path: Path) -> None:
    found = Sandbox(tmp_path).run(f"type {name}")  # a program on PATH or a shell builtin
    assert found.returncode == 0, f"{_where(_of_kind('program')[name])}: no program `{name}`"


@pytest.mark.parametrize("name", _params("allowed"))
def test_command_not_run_is_still_well_formed(name: str, tmp_path: Path) -> None:
    where = _where(_of_kind("allowed")[name])
    benchmark = BENCHMARK.fullmatch(name)
    if benchmark:
        script = ROOT / benchmark.group(1)
        assert script.is_file(), f"{where}: no {benchmark.group(1)}"
        source = script.read_text(encoding="utf-8")
        for option in re.findall(r"--[\w-]+", benchmark.group(2)):
            assert f'"{option}"' in source, f"{where}: {benchmark.group(1)} has no {option}"
    elif name.startswith("make "):
        done = Sandbox(tmp_path).run(f"make -n {name.removeprefix('make ')}")
        assert done.returncode == 0, f"{where}: {done.stderr}"
    else:
        extra = re.fullmatch(r".*pip install -e '\.\[(\w+)\]'", name)
        assert extra, f"{where}: nothing here says how to check `{name}`"
        pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
        assert extra.group(1) in pyproject["project"]["optional-dependencies"], where


# --- Links and paths --------------------------------------------------------------------------

PATH_MENTION = re.compile(r"(?<![\w/.-])(?:src|tests|docs|bench|\.ci|\.\./shared)/[\w./<>-]*")


def broken_links(pages: Sequence[Path]) -> list[str]:
    """Links between pages to a file that does not exist, or to a heading it does not have."""
    broken = []
    for page in pages:
        for target in links(page.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:", target):
                continue  # http, https, mailto: not followed here
            path, _, anchor = target.partition("#")
            linked = (page.parent / path).resolve() if path else page
            if not linked.exists():
                broken.append(f"{page.name}: {target} (no such file)")
            elif (
                anchor
                and linked.suffix == ".md"
                and anchor not in anchors(linked.read_text(encoding="utf-8"))
            ):
                broken.append(f"{page.name}: {target} (no such heading)")
    return broken


def missing_paths(pages: Sequence[Path], root: Path) -> list[str]:
    """Paths a page names (from the project's root, or ../shared/) that do not exist."""
    missing = []
    for page in pages:
        for mention in PATH_MENTION.findall(page.read_text(encoding="utf-8")):
            path = mention.rstrip(".")
            if "<" in path:
                continue  # a pattern such as tests/modules/<name>/
            if path.startswith("../shared/"):
                shared = root.parent / "shared"
                exists = not shared.is_dir() or (shared / path.removeprefix("../shared/")).exists()
            elif re.fullmatch(r"docs/adr/\d{4}", path):  # an ADR by its number
                exists = any((root / "docs" / "adr").glob(f"{path[-4:]}-*.md"))
            else:
                exists = (root / path).exists()
            if not exists:
                missing.append(f"{page.name}: {mention}")
    return missing


def test_links_and_paths_that_go_nowhere_are_caught(tmp_path: Path) -> None:
    (tmp_path / "docs" / "adr").mkdir(parents=True)
    (tmp_path / "docs" / "adr" / "0001-a.md").write_text("# A\n", encoding="utf-8")
    page = tmp_path / "docs" / "x.md"
    page.write_text(
        "# Who may write what\n\n[ok](#who-may-write-what) [ok](adr/0001-a.md#a)\n"
        "[no](#who-may-read) [no](y.md) [no](adr/0001-a.md#b) [web](https://example.org)\n"
        "see docs/adr/0001, docs/x.md and docs/z.md; `tests/<name>/`\n"
        "```\n[in code](nowhere.md)\n```\n",
        encoding="utf-8",
    )
    assert broken_links([page]) == [
        "x.md: #who-may-read (no such heading)",
        "x.md: y.md (no such file)",
        "x.md: adr/0001-a.md#b (no such heading)",
    ]
    assert missing_paths([page], tmp_path) == ["x.md: docs/z.md"]


def test_links_between_docs_resolve() -> None:
    broken = broken_links(PAGES)
    assert not broken, broken


def test_paths_the_docs_name_exist() -> None:
    missing = missing_paths(PAGES, ROOT)
    assert not missing, missing
