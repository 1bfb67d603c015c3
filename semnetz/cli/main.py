"""The command line: parse, call the Network API, render. `semnetz "QUERY"` runs a search.

Imports only click and the light modules at the top: a command loads the library when it runs, so
`semnetz --help` loads no numpy, faiss or duckdb.
"""

from __future__ import annotations

import functools
import os

import click
from click_default_group import DefaultGroup

from .. import __version__
from ..config import HOME_ENVVAR, MODEL_ENVVAR
from ..errors import InputError, SemnetzError
from ..limits import DEFAULT_HOPS, DEFAULT_K, DEFAULT_PROPOSALS, MAX_HOPS, MAX_K, MAX_PROPOSALS, SEARCH_MODES


class SemnetzGroup(DefaultGroup):
    """Turns SemnetzError into one line on stderr and exit code 2 (no traceback); keeps the root help for the
    next `semnetz --help` (see cli/__init__.py)."""

    def get_help(self, ctx):
        text = super().get_help(ctx)
        if ctx.parent is None:
            from . import help_cache_path

            path = help_cache_path()
            if path is not None:
                try:
                    os.makedirs(os.path.dirname(path), exist_ok=True)
                    with open(f"{path}.{os.getpid()}.tmp", "w", encoding="utf-8") as f:
                        f.write(text + "\n")
                    os.replace(f"{path}.{os.getpid()}.tmp", path)
                except OSError:
                    pass
        return text

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except SemnetzError as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("Interrupted; nothing was half-written.", err=True)
            ctx.exit(130)


def network_options(fn):
    """--home and --model, shared by every command that opens a network."""

    @click.option("--home", type=click.Path(file_okay=False), envvar=HOME_ENVVAR,
                  help=f"Data directory of the network (default: ${HOME_ENVVAR}, else the user data dir).")
    @click.option("--model", envvar=MODEL_ENVVAR,
                  help="Encoder: use-m3 (default), minilm, use-m3+minilm, or any sentence-transformers "
                       f"model folder. A change re-embeds everything. [env: {MODEL_ENVVAR}]")
    @functools.wraps(fn)
    def wrapper(*args, home, model, **kwargs):
        from ..network import Network

        with Network(home=home, model=model, progress=True) as net:
            return fn(net, *args, **kwargs)

    return wrapper


def emit(rows, as_json: bool, to_json, human, empty: str) -> None:
    """JSON lines (one per row) or the human rendering, or a sentence when there is nothing."""
    from . import render

    if as_json:
        for row in rows:
            click.echo(render.json_line(to_json(row)))
    else:
        click.echo(human(rows) if rows else empty)


def json_option(fn):
    return click.option("--json", "as_json", is_flag=True, help="JSON lines instead of a table.")(fn)


@click.group(cls=SemnetzGroup, default="search", default_if_no_args=False,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="semnetz")
def cli():
    """Ask your network in free text: semnetz "brauche Handwerker".

    Records the people you know (what they do, offer and need) in a local DuckDB file and answers
    needs with the people who fit, each with a score and why.
    """


# ---------------------------------------------------------------- search
def _read_batch(path: str) -> list[str]:
    """Queries from a file: one per line, plain text or JSON lines with a "q" field."""
    from ..ingest.readers import read_jsonl_objects, read_text

    source, text = read_text(path)
    queries = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if line.lstrip().startswith("{"):
            (_, obj), = read_jsonl_objects(source, line)
            q = obj.get("q")
            if not isinstance(q, str) or not q.strip():
                raise InputError('a JSON line needs a non-empty "q" string', source, number)
            queries.append(q)
        else:
            queries.append(line.strip())
    if not queries:
        raise InputError("no queries in this file", source)
    return queries


@cli.command()
@click.argument("query", required=False)
@click.option("-k", "k", type=click.IntRange(1, MAX_K), default=DEFAULT_K, show_default=True,
              help="How many people at most.")
@click.option("--all", "include_all", is_flag=True, help="Show the best k even if they fit poorly.")
@click.option("--hops", type=click.IntRange(1, MAX_HOPS), default=DEFAULT_HOPS, show_default=True,
              help="Also find people this many links away (1 = direct contacts only).")
@click.option("--when", help='When you need it ("Samstagabend", "morgen"): people whose availability contradicts '
                             'it move down.')
@click.option("--tag", "tags", multiple=True, help="Only people with this tag (repeatable: any of them).")
@click.option("--mode", type=click.Choice(SEARCH_MODES), default="hybrid", show_default=True,
              help="Everything, vectors only, or full-text (BM25) only; for comparisons.")
@click.option("--batch", "batch_file", type=click.Path(dir_okay=False),
              help="Read one query per line (text, or JSON lines with \"q\"); write one JSON line per query.")
@json_option
@network_options
def search(net, query, k, include_all, hops, when, tags, mode, batch_file, as_json):
    """People who fit a need, best first, each with a score, why, and how to reach them."""
    from . import render

    options = dict(k=k, include_all=include_all, hops=hops, when=when, tags=list(tags), mode=mode)
    if batch_file:
        if query:
            raise InputError("give either a QUERY or --batch FILE, not both")
        for result in net.search_batch(_read_batch(batch_file), **options):
            click.echo(render.json_line(result.to_json()))
        return
    if not query:
        raise InputError('say what you need, e.g. semnetz "brauche Handwerker"')
    result = net.search(query, **options)
    if result.note and (as_json or result.matches or result.best_below_threshold):
        click.echo(f"Note: {result.note}", err=True)
    if as_json:
        for match in result.matches:
            click.echo(render.json_line(match.to_json()))
        return
    if not result.matches:
        click.echo(render.nothing_fits(result))
        return
    if all(m.confidence == "closest" for m in result.matches):
        click.echo(render.closest_only(result))
        return
    click.echo(render.matches_table(result.matches, result.searched_as))


# ---------------------------------------------------------------- people
@cli.command(name="import")
@click.argument("file", type=click.Path(dir_okay=False))
@json_option
@network_options
def import_(net, file, as_json):
    """Add or update people from a JSON Lines or CSV file (all or nothing)."""
    from . import render

    report = net.import_file(file)
    if as_json:
        click.echo(render.json_line(report.to_json()))
        return
    click.echo(f"{file}: {len(report.added)} added, {len(report.updated)} updated, {len(report.unchanged)} unchanged "
               f"({report.embedded} pieces embedded, {report.reused} kept)")


def _person_options(fn):
    options = [
        click.option("--text", help="What they do, their situation, when they are available."),
        click.option("--offer", "offers", multiple=True, help="Something they offer (repeatable)."),
        click.option("--need", "needs", multiple=True, help="Something they need (repeatable)."),
        click.option("--alias", "aliases", multiple=True, help='Another name, e.g. "Emilys Mama" (repeatable).'),
        click.option("--tag", "tags", multiple=True, help="A tag (repeatable)."),
        click.option("--phone", help="Phone number."),
        click.option("--email", help="E-mail address."),
        click.option("--via", help="Id of the person you know them through (not a direct contact)."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _contact(phone, email) -> dict:
    return {k: v for k, v in (("phone", phone), ("email", email)) if v}


@cli.command()
@click.argument("name")
@click.option("--id", "person_id", help="Your own id for this person (default: a new one).")
@_person_options
@network_options
def add(net, name, person_id, text, offers, needs, aliases, tags, phone, email, via):
    """Add one person."""
    from ..records import person_from_dict

    data = {"id": person_id, "name": name, "text": text or "", "offers": list(offers), "needs": list(needs),
            "aliases": list(aliases), "tags": list(tags), "contact": _contact(phone, email), "via": via}
    new_id = net.add(person_from_dict(data, "add"))
    click.echo(f"Added {name} as {new_id}")


@cli.command()
@click.argument("person_id")
@click.option("--name", help="New name.")
@_person_options
@click.option("--add-offer", "add_offers", multiple=True, help="Add an offer, keeping the others.")
@click.option("--remove-offer", "remove_offers", multiple=True, help="Remove an offer (exact text).")
@click.option("--add-alias", "add_aliases", multiple=True, help="Add an alias, keeping the others.")
@click.option("--add-need", "add_needs", multiple=True, help="Add a need, keeping the others.")
@network_options
def edit(net, person_id, name, text, offers, needs, aliases, tags, phone, email, via,
         add_offers, remove_offers, add_aliases, add_needs):
    """Change a person: --offer/--alias/--need/--tag replace the list, --add-*/--remove-offer change it."""
    from ..records import PersonEdit

    change = PersonEdit(name=name, text=text, via=via, offers=list(offers) or None, add_offers=list(add_offers),
                        remove_offers=list(remove_offers), aliases=list(aliases) or None,
                        add_aliases=list(add_aliases), needs=list(needs) or None, add_needs=list(add_needs),
                        tags=list(tags) or None, phone=phone, email=email)
    changes = change.changes(net.get(person_id))
    net.edit(person_id, changes)
    click.echo(f"Updated {person_id}: {', '.join(sorted(changes))}")


@cli.command()
@click.argument("person_id")
@network_options
def remove(net, person_id):
    """Delete a person everywhere (store, index, audit log mentions)."""
    name = net.get(person_id).name
    net.remove(person_id)
    click.echo(f"Removed {person_id} ({name})")


@cli.command()
@click.argument("person_id")
@json_option
@network_options
def show(net, person_id, as_json):
    """One person, as recorded."""
    from . import render

    record = net.get(person_id)
    click.echo(render.json_line(record.to_dict()) if as_json else render.person_text(record))


@cli.command(name="list")
@json_option
@network_options
def list_(net, as_json):
    """Everyone in the network."""
    from . import render

    emit(net.list_people(), as_json, dict, render.people_table, "Nobody in your network yet: semnetz import FILE")


# ---------------------------------------------------------------- who knows whom
@cli.command()
@click.argument("person_a")
@click.argument("person_b")
@click.option("--relation", help='Who B is to A, e.g. "Schwester", "Kollege".')
@click.option("--strength", type=float, help="How close they are, from 0 to 1.")
@network_options
def link(net, person_a, person_b, relation, strength):
    """Record that A knows B."""
    net.link(person_a, person_b, relation, strength)
    click.echo(f"Linked {person_a} -> {person_b}" + (f" ({relation})" if relation else ""))


@cli.command()
@click.argument("person_a")
@click.argument("person_b")
@network_options
def unlink(net, person_a, person_b):
    """Remove the link between A and B."""
    net.unlink(person_a, person_b)
    click.echo(f"Unlinked {person_a} and {person_b}")


# ---------------------------------------------------------------- needs and introductions
@cli.group(cls=click.Group)
def need():
    """Add needs: semnetz need add --by ID "suche größere Wohnung" --when "bis März"."""


@need.command(name="add")
@click.argument("text")
@click.option("--by", "person_id", required=True, help="Id of the person who needs it.")
@click.option("--when", help='By when or from when: "bis März", "nächste Woche", "ASAP", "2027-03-01".')
@network_options
def need_add(net, text, person_id, when):
    """Add a need to a person."""
    need_id = net.add_need(person_id, text, when)
    click.echo(f"Added need {need_id} for {person_id}")


@cli.command()
@click.option("--status", help="Only needs with this status: open, matched, fulfilled, expired.")
@json_option
@network_options
def needs(net, status, as_json):
    """Needs in the network, soonest first."""
    from . import render

    emit(net.needs(status), as_json, lambda r: r.to_json(), render.needs_table, "No needs recorded.")


@cli.command()
@click.option("--for", "person_id", help="Which open needs this person could meet (instead of all needs).")
@click.option("-k", "k", type=click.IntRange(1, MAX_PROPOSALS), default=DEFAULT_PROPOSALS, show_default=True,
              help="Proposals per need.")
@click.option("--all", "include_all", is_flag=True, help="Also proposals that fit poorly.")
@json_option
@network_options
def match(net, person_id, k, include_all, as_json):
    """Proposed introductions: who could meet each open need."""
    from . import render

    emit(net.match(person_id, k=k, include_all=include_all), as_json, lambda p: p.to_json(), render.proposals_text,
         "No proposals: no open need fits anyone's offers.")


@cli.command()
@click.argument("need_id", type=int)
@click.argument("person_id")
@network_options
def intro(net, need_id, person_id):
    """Record that you introduced PERSON_ID to the one with NEED_ID."""
    row = net.intro(need_id, person_id)
    click.echo(f"Introduced {person_id} to {row.person_id} for need {need_id} (\"{row.text}\")")


@cli.command()
@click.argument("need_id", type=int)
@click.argument("person_id")
@click.option("--helped/--not-helped", required=True, help="Did PERSON_ID help with the need?")
@network_options
def outcome(net, need_id, person_id, helped):
    """Record how an introduction went."""
    net.outcome(need_id, person_id, helped)
    click.echo(f"Recorded: {person_id} {'helped' if helped else 'did not help'} with need {need_id}")


# ---------------------------------------------------------------- maintenance
@cli.command()
@network_options
def reindex(net):
    """Re-embed everyone with the current model and rebuild the index from the store."""
    done = net.reindex()
    click.echo(f"Re-embedded {done['pieces']} pieces with {done['model']}; index rebuilt.")


@cli.command()
@click.option("-n", "limit", type=click.IntRange(1), default=None, help="Only the last N entries.")
@click.option("--action", help="Only entries of this action (import, add, edit, remove, reindex, search, …).")
@json_option
@network_options
def log(net, limit, action, as_json):
    """The audit log: every change and every search, oldest first."""
    from . import render

    emit(net.log_entries(limit, action), as_json, dict, render.log_table, "The log is empty.")


@cli.command()
@json_option
@network_options
def stats(net, as_json):
    """Counts, index size, model and last reindex."""
    from . import render

    data = net.stats()
    click.echo(render.json_line(data) if as_json else render.stats_text(data))


# ---------------------------------------------------------------- benchmarks
@cli.group(cls=click.Group)
def bench():
    """Measure quality and speed on your own data (quality, speed, peers)."""


def _write_report(out_dir, name: str, report: dict, plot) -> None:
    import json as _json
    from pathlib import Path

    from . import render

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.json").write_text(_json.dumps(report, ensure_ascii=False, indent=2, default=render._json_default))
    try:
        plot(report, out)
    except ImportError:
        raise SemnetzError(f"wrote {out / (name + '.json')}; the plots need matplotlib: pip install 'semnetz[bench]'") from None
    click.echo(f"wrote {out / (name + '.json')} and the plots in {out}", err=True)


@bench.command(name="quality")
@click.option("--people", "people_file", type=click.Path(dir_okay=False), required=True,
              help="People in the import format (JSON Lines or CSV).")
@click.option("--queries", "queries_file", type=click.Path(dir_okay=False), required=True,
              help='Labelled queries, JSON lines {"q": …, "rel": {"<id>": 2 or 1}}.')
@click.option("--encoder", "encoders", multiple=True, help="Only these encoders (repeatable; default: all known).")
@click.option("--samples", type=click.IntRange(100), default=1000, show_default=True, help="Bootstrap resamples.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Write quality.json and quality.png here.")
@json_option
def bench_quality(people_file, queries_file, encoders, samples, out_dir, as_json):
    """nDCG@5/10, Recall@5/10, MRR@10 with 95% CIs for every encoder, dense, lexical and hybrid."""
    from . import render
    from ..bench.quality import quality_plot, quality_table, run_quality

    report = run_quality(people_file, queries_file, list(encoders) or None, samples,
                         progress=lambda name: click.echo(f"  done: {name}", err=True))
    if out_dir:
        _write_report(out_dir, "quality", report, lambda r, out: quality_plot(r, out / "quality.png"))
    click.echo(render.json_line(report) if as_json else quality_table(report))


@bench.command(name="speed")
@click.option("--people", "n_people", type=click.IntRange(10), default=10_000, show_default=True,
              help="Size of the synthetic network (e.g. 10000, 100000, 1000000).")
@click.option("--seed", type=int, default=0, show_default=True, help="The synthetic network is reproducible from it.")
@click.option("--queries", "n_queries", type=click.IntRange(10), default=200, show_default=True)
@click.option("--index-type", "index_types", multiple=True,
              help="Compare only these FAISS types (repeatable; default: the ones that make sense at that size).")
@click.option("--keep", "home", type=click.Path(file_okay=False),
              help="Build the network in this directory and keep it (a later run with the same size reuses it).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False),
              help="Write speed-N.json here and plot latency against N (all runs in the folder) and recall.")
@json_option
def bench_speed(n_people, seed, n_queries, index_types, home, out_dir, as_json):
    """Indexing throughput, warm latency, memory and index types with recall, on a synthetic network."""
    from . import render
    from ..bench.speed import run_speed, speed_plots, speed_table

    report = run_speed(n_people, seed, n_queries, list(index_types) or None, home,
                       progress=lambda msg: click.echo(f"  {msg}", err=True))
    if out_dir:
        _write_report(out_dir, f"speed-{n_people}", report, lambda r, out: speed_plots(out))
    click.echo(render.json_line(report) if as_json else speed_table(report))


@bench.command(name="peers")
@click.option("--people", "n_people", type=click.IntRange(10), default=2000, show_default=True)
@click.option("--queries", "n_queries", type=click.IntRange(10), default=200, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Write peers.json here.")
@json_option
def bench_peers(n_people, n_queries, seed, out_dir, as_json):
    """semnetz against txtai and brute-force numpy: same data, same encoder, one run."""
    from . import render
    from ..bench.peers import peers_table, run_peers

    report = run_peers(n_people, n_queries, seed, progress=lambda msg: click.echo(f"  {msg}", err=True))
    if out_dir:
        _write_report(out_dir, "peers", report, lambda r, out: None)
    click.echo(render.json_line(report) if as_json else peers_table(report))


if __name__ == "__main__":  # pragma: no cover
    cli(prog_name="semnetz")
