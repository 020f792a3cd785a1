"""`manage.py bench lost_answers`: a restore while Looker applies a share of the writes and
their answers are lost (the connection closed, a 502 from a proxy or from Looker), as a
timed-out POST behind a load balancer looks. Prints what "exactly once" asks: duplicates,
false dead letters, objects equal to the source after mapping.

In a child process with its own temporary SQLite database: the emulator's `--seed`
content is backed up, restored once into an empty instance without faults (which items
fail there anyway: a dead letter of the lossy run that this run also has is not false),
then into another empty instance with `--rate` of the writes' answers lost. The last line
printed is one JSON object with every figure.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from restoration.bench import figures_from_child
from restoration.bench.restore import CLIENT_ID, CLIENT_SECRET, start_emulator
from restoration.emulator.faults import DEFAULT_LOST_WAYS, LOST_WAYS
from restoration.emulator.process import control


class Command(BaseCommand):
    help = "Restore with a share of writes applied and their answers lost: duplicates, false dead letters, equal objects."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", default="scale:20", help='"demo" or "scale:N"')
        parser.add_argument(
            "--rate", type=float, default=0.1, help="share of writes whose answer is lost"
        )
        parser.add_argument(
            "--ways",
            default=",".join(DEFAULT_LOST_WAYS),
            help=f"how answers are lost, some of {', '.join(LOST_WAYS)}",
        )
        parser.add_argument("--workers", type=int, default=8)
        parser.add_argument("--child", help="(internal)")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["child"]:
            self.stdout.write(json.dumps(run_child(json.loads(opts["child"]))))
            return
        ways = [w for w in opts["ways"].split(",") if w]
        if not ways or set(ways) - set(LOST_WAYS) or not 0 <= opts["rate"] <= 1:
            raise CommandError(
                f"--ways must name some of {', '.join(LOST_WAYS)} and --rate lie in 0..1"
            )
        spec = {"seed": opts["seed"], "rate": opts["rate"], "ways": ways}
        spec["workers"] = opts["workers"]
        result = self.child(spec)
        self.stdout.write(
            f"seed={result['seed']} items={result['items']} writes={result['writes']} "
            f"lost answers={result['lost_answers']} ({result['rate']:.0%} of writes, "
            f"{'/'.join(result['ways'])}): duplicates={result['duplicates']} "
            f"false dead letters={result['false_dead_letters']} "
            f"equal objects={result['equal']}/{result['compared']}"
        )
        self.stdout.write(json.dumps(result))

    def child(self, spec: dict[str, Any]) -> dict[str, Any]:
        with tempfile.TemporaryDirectory(prefix="bench-lost-") as tmp:
            return figures_from_child("lost_answers", spec, tmp, log_level="ERROR")


def run_child(spec: dict[str, Any]) -> dict[str, Any]:
    from restoration.backup import ExtractionOptions, extract_instance
    from restoration.looker.instances import make_sdk

    call_command("migrate", verbosity=0)
    processes = []
    try:
        urls = {}
        for name, seed in (("source", spec["seed"]), ("clean", None), ("destination", None)):
            process, urls[name] = start_emulator(seed)
            processes.append(process)
        Path(os.environ["LOOKER_INI"]).write_text(
            "".join(
                f"[{name}]\nbase_url={url}\nclient_id={CLIENT_ID}\n"
                f"client_secret={CLIENT_SECRET}\nverify_ssl=false\ntimeout=60\n"
                for name, url in urls.items()
            )
        )
        fast = {"rate_limit_per_second": 100000, "rate_limit_per_minute": 6000000}
        backup = extract_instance("source", ExtractionOptions(workers=8, **fast))
        if backup.status != "completed":
            raise CommandError(f"backup failed: {backup.last_error}")
        clean = restore_into("clean", urls, spec, fast)
        before = figures_before(make_sdk("destination"))
        control(
            urls["destination"],
            "faults",
            {"lost_answer_rate": spec["rate"], "lost_answer_ways": spec["ways"]},
        )
        lossy = restore_into("destination", urls, spec, fast)
        control(urls["destination"], "faults", {"clear": True})
        counters = control(urls["destination"], "counters")
        return {
            **spec,
            **measure(urls, before, clean, lossy),
            "writes": counters["writes"],
            "lost_answers": sum(counters["lost_answers"].values()),
        }
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)


def restore_into(section: str, urls: dict[str, str], spec: dict[str, Any], fast: dict) -> Any:
    from restoration.config import RestorationConfig
    from restoration.engine import run_session
    from restoration.models import RestorationSession

    config = RestorationConfig(
        **fast,
        workers=spec["workers"],
        max_retries=8,
        source_instance=urls["source"],
        destination_instance=urls[section],
    )
    session = RestorationSession.objects.launch(
        config, destination_section=section, source_section="source"
    )
    run_session(session.pk)
    session.refresh_from_db()
    return session


def figures_before(sdk: Any) -> dict[int, set[str]]:
    from restoration.bench.compare import inventory

    return inventory(sdk)


def measure(
    urls: dict[str, str], before: dict[int, set[str]], clean: Any, lossy: Any
) -> dict[str, Any]:
    """Duplicates, false dead letters and equal objects of the lossy session."""
    from restoration.bench.compare import compare, duplicates, inventory
    from restoration.looker.instances import make_sdk
    from restoration.models import DeadLetterItem, IDMapping

    table = {
        (m.content_type, m.source_id): m.destination_id
        for m in IDMapping.objects.filter(destination_instance=urls["destination"])
    }
    mapped: dict[int, set[str]] = {}
    for (content_type, _), did in table.items():
        mapped.setdefault(content_type, set()).add(did)

    def tr(content_type: int, sid: Any) -> str | None:
        return None if sid in (None, "") else table.get((int(content_type), str(sid)))

    expected = {
        (d.content_type, d.content_id) for d in DeadLetterItem.objects.filter(session=clean)
    }
    letters = list(DeadLetterItem.objects.filter(session=lossy))
    false_letters = [
        f"{d.content_type}:{d.content_id} {d.error_message[:200]}"
        for d in letters
        if (d.content_type, d.content_id) not in expected
    ]
    dst = make_sdk("destination")
    top = duplicates(before, inventory(dst), mapped)
    compared = compare(make_sdk("source"), dst, tr, skip=expected)
    return {
        "items": lossy.total_items,
        "status": lossy.status,
        "duplicates": sum(top.values()) + compared["extra_children"],
        "duplicates_by_type": top,
        "duplicate_children": compared["extra_children"],
        "false_dead_letters": len(false_letters),
        "false_dead_letter_messages": false_letters[:20],
        "dead_letters_without_faults": len(expected),
        "equal": compared["equal"],
        "compared": compared["compared"],
        "differences": compared["differences"],
    }
