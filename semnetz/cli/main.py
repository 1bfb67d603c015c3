"""The command line: parse, call the Network API, render. `semnetz "QUERY"` runs a search.

Imports only click and the light modules at the top: a command loads the library when it runs, so
`semnetz --help` loads no numpy, faiss or duckdb.
"""

from __future__ import annotations

import functools
import os
import sys

import click
from click_default_group import DefaultGroup

from .. import __version__
from ..config import HOME_ENVVAR, MODEL_ENVVAR, NETWORK_ENVVAR, REPLICA_ENVVAR, STORE_ENVVAR, TOKEN_ENVVAR
from ..errors import InputError, SemnetzError
from ..limits import (DEFAULT_HOPS, DEFAULT_K, DEFAULT_PICTURE_PEOPLE, DEFAULT_PROPOSALS, MAX_HOPS, MAX_K,
                      MAX_PICTURE_PEOPLE, MAX_PROPOSALS, SEARCH_MODES)


class SemnetzGroup(DefaultGroup):
    """Turns SemnetzError into one line on stderr and exit code 2 (no traceback); keeps the root help for the
    next `semnetz --help` (see cli/help_cache.py)."""

    def get_help(self, ctx):
        text = super().get_help(ctx)
        if ctx.parent is None:
            from .help_cache import keep

            keep(text)
        return text

    def resolve_command(self, ctx, args):
        name = args[0] if args else None
        if name == "need" and len(args) > 1 and args[1] not in self.commands["need"].commands \
                and not args[1].startswith("-"):
            return "search", self.commands["search"], list(args)  # "semnetz need a plumber" asks for a plumber
        if name is not None and name not in self.commands and not name.startswith("-"):
            close = _command_meant(name, list(self.commands))
            if close is not None:
                raise click.UsageError(f"no command '{name}'. Did you mean 'semnetz {close}'? To search for "
                                       f"'{name}', say: semnetz search {name}")
        return super().resolve_command(ctx, args)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except SemnetzError as exc:
            echo(f"Error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            echo("Interrupted; nothing was half-written.", err=True)
            ctx.exit(130)
        except BrokenPipeError:  # the reader went away (semnetz list --json | head -1): stop quietly
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(0)
        except (OSError, MemoryError) as exc:  # a full disk, a file that cannot be written or read
            echo(f"Error: {_system_error(exc)}", err=True)
            ctx.exit(2)
        except Exception as exc:
            if not type(exc).__module__.lstrip("_").startswith("duckdb"):
                raise
            echo(f"Error: {_system_error(exc)}", err=True)
            ctx.exit(2)


def _system_error(exc: BaseException) -> str:
    """One line for an error of the system underneath (the disk, the store's database): what happened, where,
    and that the command changed nothing (every write is one transaction, and the view is swapped after it)."""
    import errno

    first = (str(exc).splitlines() or [type(exc).__name__])[0]
    if isinstance(exc, MemoryError):
        return "out of memory; nothing was changed"
    short_write = " requested and " in first and first.endswith(" written")  # numpy's words for a full disk
    if getattr(exc, "errno", None) in (errno.ENOSPC, errno.EDQUOT) or "no space left" in first.lower() or short_write:
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        return f"no space left on the disk{where}; nothing was changed. Free some space and run it again."
    if isinstance(exc, OSError):
        return f"{exc.strerror or first}{f': {exc.filename}' if exc.filename else ''}; nothing was changed"
    return f"the network's store failed ({first}); nothing was changed"


def _command_meant(word: str, commands: list[str]) -> str | None:
    """The command a first word that is no command was probably meant to be ("lsit", "improt"), unless it is a
    word people search for (a real German or English word: "Liste", "Imker")."""
    from rapidfuzz.distance import OSA

    near = sorted((OSA.distance(word.lower(), c), c) for c in commands if len(c) > 2)
    if not near or near[0][0] > (1 if len(word) <= 4 else 2):
        return None
    from wordfreq import zipf_frequency

    if max(zipf_frequency(word, "de"), zipf_frequency(word, "en")) >= 2.5:
        return None
    return near[0][1]


def _no_text(value) -> bool:
    """An argument that was no UTF-8: Python gives its bytes as lone surrogates (surrogateescape)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _as_given(value: str) -> str:
    """The argument readable, its bytes that are no UTF-8 as \\xff."""
    return os.fsencode(value).decode("utf-8", "backslashreplace")


# arguments that are file names: they are used as the system gives them (a file name need not be UTF-8)
FILE_PARAMS = {"file", "out", "batch_file", "home", "people_file", "queries_file", "out_dir"}


def _check_text_arguments(ctx) -> None:
    """Ids, relations, actions, texts must be text: one clear line for an argument that was no UTF-8 (the terminal's
    encoding is not UTF-8, or a stray byte), instead of a failure deep down. File names are exempt (see
    OsFileName), and so is the search query (search replaces such bytes)."""
    for param in ctx.command.params:
        if param.name in FILE_PARAMS or isinstance(param.type, click.Path) \
                or (ctx.command.name == "search" and param.name == "query"):
            continue
        value = ctx.params.get(param.name)
        for item in value if isinstance(value, (list, tuple)) else [value]:
            if isinstance(item, str) and _no_text(item):
                name = param.opts[-1] if isinstance(param, click.Option) else param.human_readable_name
                raise InputError(f"{name} '{_as_given(item)}' is not UTF-8 text; type it again, or set the "
                                 "terminal to UTF-8 (locale)", key="argument_not_utf8", name=name)


class OsFileName(os.PathLike):
    """A file name as the system gave it, with bytes that are no UTF-8 (opened as they are, os.fspath), shown
    readable where it is printed or logged (str: those bytes as \\xff)."""

    def __init__(self, raw: str):
        self.raw = raw

    def __fspath__(self) -> str:
        return self.raw

    def __str__(self) -> str:
        return _as_given(self.raw)


def _file_name(name: str):
    return OsFileName(name) if _no_text(name) else name


HOME_HELP = f"Data directory of the network (default: ${HOME_ENVVAR}, else the user data dir)."
MODEL_HELP = ("Encoder for a new network: use-m3 (default), e5-small, use-m3+e5, minilm, use-m3+minilm, or any "
              "sentence-transformers "
              "model folder. A network keeps its model; to switch it: semnetz reindex --model NAME. "
              f"[env: {MODEL_ENVVAR}]")
# commands that create a network when there is none (the others say there is none)
STORE_HELP = (f"A PostgreSQL database that holds the network (postgresql://…; default: ${STORE_ENVVAR}, else the "
              "home's own file); --home is then where this machine keeps its search index.")
NETWORK_HELP = f"The network's name in the --store database (default: ${NETWORK_ENVVAR}, else semnetz)."
REPLICA_HELP = (f"A read replica of the --store database, which this process's searches read (default: "
                f"${REPLICA_ENVVAR}); writes go to --store.")
CREATING = {"import", "add", "serve"}  # serve: its page adds people


def network_options(fn):
    """--home and --model, shared by every command that opens a network (also accepted before the command:
    semnetz --home DIR list)."""

    @click.option("--home", type=click.Path(file_okay=False), envvar=HOME_ENVVAR, help=HOME_HELP)
    @click.option("--model", envvar=MODEL_ENVVAR, help=MODEL_HELP)
    @click.option("--store", envvar=STORE_ENVVAR, metavar="URL", help=STORE_HELP)
    @click.option("--network", "network_name", envvar=NETWORK_ENVVAR, metavar="NAME", help=NETWORK_HELP)
    @click.option("--replica", envvar=REPLICA_ENVVAR, metavar="URL", help=REPLICA_HELP)
    @functools.wraps(fn)
    def wrapper(*args, home, model, store, network_name, replica, **kwargs):
        from ..config import resolve_home
        from ..network import Network

        ctx = click.get_current_context()
        _check_text_arguments(ctx)
        given = ctx.find_root().obj or {}
        chosen = {"home": home, "model": model, "store": store, "network_name": network_name, "replica": replica}
        for option in chosen:  # also accepted before the command (semnetz --store URL list)
            if ctx.get_parameter_source(option) is not click.core.ParameterSource.COMMANDLINE and given.get(option):
                chosen[option] = given[option]
        home, model, store, network_name, replica = chosen.values()
        if store:  # a network in a database: the home (if any) keeps only this machine's search index
            with Network(home=home, model=model, progress=True, ask=ask_key, store=store,
                         network=network_name, replica=replica) as net:
                if " ".join(ctx.command_path.split()[1:]) not in CREATING and not net.store.exists():
                    raise SemnetzError(f"{net.store} does not exist yet: bring people in with semnetz --store URL "
                                       f"--network {net.store.network} import FILE")
                return _run(fn, net, args, kwargs)
        path = resolve_home(home, create=False)
        if not path.exists():
            if " ".join(ctx.command_path.split()[1:]) not in CREATING:
                raise SemnetzError(f"there is no network in {path} yet: bring people in with "
                                   f"semnetz import FILE --home {path} (or check --home / ${HOME_ENVVAR})")
            echo(f"Creating a new network in {path}", err=True)
        with Network(home=path, model=model, progress=True, ask=ask_key) as net:
            return _run(fn, net, args, kwargs)

    return wrapper


def _run(fn, net, args, kwargs):
    try:
        return fn(net, *args, **kwargs)
    finally:
        for damage in net.repairs:
            echo(f"Note: the search index was damaged ({damage}); rebuilt it from the store.", err=True)


def ask_key(prompt: str, confirm: bool = False) -> str | None:
    """A key typed at a hidden prompt, when there is a terminal to ask at (else None: the caller says what to
    set instead)."""
    if not sys.stdin.isatty():
        return None
    return click.prompt(prompt, hide_input=True, confirmation_prompt=confirm, err=True) or None


def echo(text="", err: bool = False, **kwargs) -> None:
    """click.echo, with control characters escaped (names and texts come from files people import)."""
    from .render import terminal

    click.echo(terminal(str(text)), err=err, **kwargs)


def emit(rows, as_json: bool, to_json, human, empty: str) -> None:
    """JSON lines (one per row) or the human rendering, or a sentence when there is nothing."""
    from . import render

    if as_json:
        for row in rows:
            echo(render.json_line(to_json(row)))
    else:
        echo(human(rows) if rows else empty)


def json_option(fn):
    return click.option("--json", "as_json", is_flag=True, help="JSON lines instead of a table.")(fn)


@click.group(cls=SemnetzGroup, default="search", default_if_no_args=False,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="semnetz")
@click.option("--home", type=click.Path(file_okay=False), help=HOME_HELP)
@click.option("--model", help=MODEL_HELP)
@click.option("--store", metavar="URL", help=STORE_HELP)
@click.option("--network", "network_name", metavar="NAME", help=NETWORK_HELP)
@click.option("--replica", metavar="URL", help=REPLICA_HELP)
@click.pass_context
def cli(ctx, home, model, store, network_name, replica):
    """Ask your network in free text: semnetz brauche Handwerker.

    Records the people you know (what they do, offer and need) in a local DuckDB file and answers
    needs with the people who fit, each with a score and why.

    \b
    Examples:
      semnetz import people.jsonl
      semnetz brauche Handwerker
      semnetz --home ~/kita-netz need a plumber
      semnetz search list           (a one-word query that is also a command)
    """
    ctx.obj = {"home": home, "model": model, "store": store, "network_name": network_name, "replica": replica}


# ---------------------------------------------------------------- search
def _read_batch(path: str) -> list[str]:
    """Queries from a file: one per line, plain text or JSON lines with a "q" field."""
    from ..ingest.readers import read_jsonl_objects, read_text

    if path == "-":
        source, text = "<stdin>", sys.stdin.read()
    else:
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
@click.argument("query", nargs=-1)
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
@click.option("--batch", "batch_file", type=click.Path(dir_okay=False, allow_dash=True),
              help="Read one query per line (text, or JSON lines with \"q\"; - for standard input); write one JSON "
                   "line per query.")
@json_option
@network_options
def search(net, query, k, include_all, hops, when, tags, mode, batch_file, as_json):
    """People who fit a need, best first, each with a score, how sure, why, and how to reach them.

    The query may be quoted or not; - reads it from standard input.

    \b
    Examples:
      semnetz brauche Handwerker
      semnetz search "Babysitter am Samstagabend" -k 3 --json
      echo "need a plumber" | semnetz search -
    """
    from . import render

    query = " ".join(query)
    if query == "-":
        query = sys.stdin.read()
    options = dict(k=k, include_all=include_all, hops=hops, when=when, tags=list(tags), mode=mode)
    if batch_file:
        if query:
            raise InputError("give either a QUERY or --batch FILE, not both")
        results = net.search_batch(_read_batch(batch_file), **options)
        net.reach([m for result in results for m in result.matches])
        for result in results:
            echo(render.json_line(result.to_json()))
        return
    result = net.search(query, **options)
    net.reach(result.matches)
    if result.note and (as_json or result.matches or result.best_below_threshold):
        echo(f"Note: {result.note}", err=True)
    if as_json:
        for match in result.matches:
            echo(render.json_line(match.to_json()))
        return
    echo(render.search_answer(result))


# ---------------------------------------------------------------- people
@cli.command(name="import")
@click.argument("file", type=click.Path(dir_okay=False))
@json_option
@network_options
def import_(net, file, as_json):
    """Add or update people from a JSON Lines, JSON, CSV or vCard file (all or nothing).

    CSV may also be a contacts export of Google or Outlook; from an address book (vCard, contacts CSV), people
    whose card has neither what they do (job title, organisation or note) nor a phone number or e-mail address
    are skipped.

    \b
    Examples:
      semnetz import people.jsonl
      semnetz import contacts.vcf
      semnetz import contacts.csv --json
    """
    from . import render

    report = net.import_file(_file_name(file))
    if as_json:
        echo(render.json_line(report.to_json()))
        return
    echo(f"{_as_given(file)}: {len(report.added)} added, {len(report.updated)} updated, {len(report.unchanged)} unchanged "
               f"({report.embedded} pieces embedded, {report.reused} kept)")
    if report.skipped:
        echo(f"{report.skipped} skipped: their card has neither what they do (job title, organisation or note) "
             "nor a phone number or e-mail address")


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
    """Add one person (always a new one, even if someone has the same name).

    \b
    Example:
      semnetz add "Jonas Weber" --text "Elektriker" --offer "Lampen anschließen" --phone "0171 1234567"
    """
    from ..records import person_from_dict

    data = {"id": person_id, "name": name, "text": text or "", "offers": list(offers), "needs": list(needs),
            "aliases": list(aliases), "tags": list(tags), "contact": _contact(phone, email), "via": via}
    new_id = net.add(person_from_dict(data, "add"))
    others = net.namesakes(new_id)
    also = f" (there is also a {name}: {', '.join(others)})" if others else ""
    echo(f"Added {name} as {new_id}{also}")


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
    """Change a person: --offer/--alias/--need/--tag replace the list, --add-*/--remove-offer change it;
    --email "" (or --phone "") clears it.

    \b
    Examples:
      semnetz edit p0003 --add-offer "Boiler warten"
      semnetz edit p0003 --email ""
    """
    from ..records import PersonEdit

    change = PersonEdit(name=name, text=text, via=via, offers=list(offers) or None, add_offers=list(add_offers),
                        remove_offers=list(remove_offers), aliases=list(aliases) or None,
                        add_aliases=list(add_aliases), needs=list(needs) or None, add_needs=list(add_needs),
                        tags=list(tags) or None, phone=phone, email=email)
    changes = change.changes(net.get(person_id))
    net.edit(person_id, changes)
    echo(f"Updated {person_id}: {', '.join(sorted(changes))}")


@cli.command()
@click.argument("person_id")
@network_options
def remove(net, person_id):
    """Delete a person everywhere (store, index, audit log mentions).

    \b
    Example:
      semnetz remove p0003
    """
    name = net.get(person_id).name
    net.remove(person_id)
    echo(f"Removed {person_id} ({name})")


@cli.command()
@click.argument("person_id")
@json_option
@network_options
def show(net, person_id, as_json):
    """One person, as recorded (--json: the import format).

    \b
    Example:
      semnetz show p0003
    """
    from . import render

    record = net.get(person_id)
    echo(render.json_line(record.to_dict()) if as_json else render.person_text(record))


@cli.command(name="list")
@json_option
@network_options
def list_(net, as_json):
    """Everyone in the network (--json: the import format, which semnetz import reads back).

    \b
    Examples:
      semnetz list
      semnetz list --json > everyone.jsonl
    """
    from . import render

    if as_json:  # the import format, so that what is written can be imported again
        for record in net.records():
            echo(render.json_line(record.to_dict()))
        return
    emit(net.list_people(), False, dict, render.people_table, "Nobody in your network yet: semnetz import FILE")


@cli.command()
@click.argument("file", type=click.Path(allow_dash=True))
@click.option("--vcf", is_flag=True, help="vCards 3.0 for a phone's address book (also for a FILE ending in .vcf).")
@network_options
def export(net, file, vcf):
    """Write everything to FILE ('-': standard output): people, whom they know, needs with what became of
    them and your introductions, in the import format, so that 'semnetz import FILE' gives the same network
    again. --vcf: the people as vCards for a phone. The file is readable only by you.

    \b
    Examples:
      semnetz export backup.jsonl
      semnetz export --vcf contacts.vcf
    """
    format = "vcf" if vcf or file.lower().endswith((".vcf", ".vcard")) else "jsonl"
    counts = net.export(_file_name(file), format)
    what = ", ".join(f"{n} {one if n == 1 else many}" for n, one, many in (
        (counts["people"], "person", "people"), (counts["needs"], "need", "needs"),
        (counts["intros"], "introduction", "introductions"))[:1 if format == "vcf" else 3])
    echo(f"Exported {what} to {'standard output' if file == '-' else _as_given(file)}", err=file == "-")


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False))
@network_options
def backup(net, file):
    """Write one snapshot of the network to FILE (a zip archive: the store and a manifest with checksums), while
    searches and the page keep working. The file is written whole or not at all and is readable only by you; the
    store in it is encrypted when the network is (restoring asks for its key). Standard output ('-') is not
    supported.

    \b
    Example:
      semnetz backup ~/backups/network-2026-12-08.semnetz-backup
    """
    done = net.backup(_file_name(file))
    counts = done["counts"]
    echo(f"Backed up {counts['people']} people, {counts['needs']} needs and {counts['links']} links to "
         f"{_as_given(file)} ({done['bytes'] / 1e6:.1f} MB)")


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--home", type=click.Path(file_okay=False), envvar=HOME_ENVVAR,
              help="The new network's data directory (missing or empty).")
@click.pass_context
def restore(ctx, file, home):
    """Make a new network in --home from a backup: the backup is checked whole first (a damaged or truncated one
    is refused and nothing is written), then the store is put in place and the search index rebuilt. --home must
    be missing or empty.

    \b
    Example:
      semnetz restore network-2026-12-08.semnetz-backup --home ~/semnetz-restored
    """
    from ..backup import restore as restore_backup
    from ..config import resolve_home

    given = ctx.find_root().obj or {}
    if ctx.get_parameter_source("home") is not click.core.ParameterSource.COMMANDLINE and given.get("home"):
        home = given["home"]
    path = resolve_home(home, create=False)
    done = restore_backup(_file_name(file), path, model=given.get("model"), ask=ask_key)
    counts = done["counts"]
    echo(f"Restored {counts['people']} people, {counts['needs']} needs and {counts['links']} links (backup of "
         f"{done.get('created')}, model {done.get('model')}) into {path}; search index rebuilt.")


@cli.command(name="copy")
@click.option("--to", "to_url", metavar="URL", help="Copy the network of --home into this PostgreSQL database.")
@click.option("--from", "from_url", metavar="URL", help="Make a new network in --home from this database.")
@click.option("--network", "network_name", metavar="NAME", default="semnetz", show_default=True,
              help="The network's name in the database (a schema; one database holds several).")
@click.option("--home", type=click.Path(file_okay=False), envvar=HOME_ENVVAR,
              help="The network's data directory (with --from: missing or empty).")
@click.pass_context
def copy_network(ctx, to_url, from_url, network_name, home):
    """Move a whole network between a home and a PostgreSQL database with pgvector (pip install
    'semnetz[postgres]'), both ways: people, needs, links, introductions, the audit log and the vectors; the
    same export afterwards. The copy in the database is not encrypted.

    \b
    Examples:
      semnetz copy --to postgresql://kita@db.example.org/netz
      semnetz copy --from postgresql://kita@db.example.org/netz --home ~/netz-copy
    """
    from ..config import resolve_home
    from ..network import Network
    from .. import transfer

    if bool(to_url) == bool(from_url):
        raise click.UsageError("give one of --to URL or --from URL")
    given = ctx.find_root().obj or {}
    if ctx.get_parameter_source("home") is not click.core.ParameterSource.COMMANDLINE and given.get("home"):
        home = given["home"]
    if to_url:
        path = resolve_home(home, create=False)
        if not path.exists():
            raise SemnetzError(f"there is no network in {path} to copy (check --home / ${HOME_ENVVAR})")
        with Network(home=path, model=given.get("model"), ask=ask_key) as net:
            done = transfer.copy_to(net, to_url, network_name)
        echo(f"Copied {done['people']} people, {done['needs']} needs and {done['links']} links into the network "
             f"{done['network']!r} of the database.")
    else:
        path = resolve_home(home, create=False)
        done = transfer.copy_from(from_url, path, network_name)
        echo(f"Copied {done['people']} people, {done['needs']} needs and {done['links']} links from the network "
             f"{done['network']!r} of the database into {path}; search index built.")


@cli.command()
@click.option("--encrypt", is_flag=True, help="Encrypt everything in the network's folder with a key: $SEMNETZ_KEY, "
                                              "else asked (twice, hidden).")
@click.option("--keyring/--no-keyring", "use_keyring", default=True, show_default=True,
              help="Keep a key you typed in the OS keyring, so that later commands need not ask.")
@click.option("--home", type=click.Path(file_okay=False), envvar=HOME_ENVVAR,
              help="The new network's data directory (missing or empty).")
@click.pass_context
def init(ctx, encrypt, use_keyring, home):
    """Make a new, empty network in --home (import and add also make one when there is none). With --encrypt,
    the store, the search index and the search log are unreadable without the key: it comes from $SEMNETZ_KEY,
    else the OS keyring, else a hidden prompt, and is never written into the folder. A recovery key is shown
    once: write it down; it opens the network when the key is lost (as SEMNETZ_KEY or at the prompt).

    \b
    Examples:
      semnetz init --encrypt --home ~/kita-netz
      SEMNETZ_KEY='…' semnetz init --encrypt
    """
    from .. import encryption
    from ..config import resolve_home
    from ..network import Network

    given = ctx.find_root().obj or {}
    if given.get("store") or os.environ.get(STORE_ENVVAR):
        raise SemnetzError("init makes a home; a network in a database is made by its first import (semnetz "
                           "--store URL import FILE), and is encrypted by the database's own means (README)")
    if ctx.get_parameter_source("home") is not click.core.ParameterSource.COMMANDLINE and given.get("home"):
        home = given["home"]
    path = resolve_home(home, create=False)
    key = typed = None
    if encrypt and not os.environ.get(encryption.KEY_ENVVAR):
        key = typed = ask_key(f"Key for the new encrypted network in {path}", confirm=True)
    net, recovery = Network.create(path, encrypt=encrypt, key=key, model=given.get("model"))
    net.close()
    if not encrypt:
        echo(f"Created a new network in {path}")
        return
    echo(f"Created a new encrypted network in {path}.")
    if typed and use_keyring and encryption.keep_in_keyring(path, typed):
        echo("Your key is kept in the OS keyring: commands on this network will not ask for it.")
    echo(f"Recovery key (shown only now; write it down and keep it apart from this computer):\n\n    {recovery}\n")
    echo("It opens the network when the key is lost: SEMNETZ_KEY='<recovery key>' semnetz rekey")


@cli.command()
@network_options
def rekey(net):
    """Change the key of an encrypted network: the new key comes from $SEMNETZ_NEW_KEY, else it is asked for
    (twice, hidden). The current key (or the recovery key) unlocks it first, as for every command. The data
    itself is not rewritten: a copy or backup taken before still opens with the old key.

    \b
    Example:
      semnetz rekey
    """
    from .. import encryption

    new = os.environ.get(encryption.NEW_KEY_ENVVAR) or ask_key("New key", confirm=True)
    if not new:
        raise SemnetzError("no new key: set SEMNETZ_NEW_KEY, or run the command in a terminal to be asked for it; "
                           "nothing was changed")
    net.rekey(new)
    echo(f"The network in {net.home} now opens with the new key; the recovery key is unchanged.")
    if encryption.keyring_key(net.home) is not None and encryption.keep_in_keyring(net.home, new):
        echo("The key kept in the OS keyring is the new one.")


# ---------------------------------------------------------------- who knows whom
@cli.command()
@click.argument("person_a")
@click.argument("person_b")
@click.option("--relation", help='Who B is to A, e.g. "Schwester", "Kollege".')
@click.option("--strength", type=float, help="How close they are, from 0 to 1.")
@network_options
def link(net, person_a, person_b, relation, strength):
    """Record that A knows B.

    \b
    Example:
      semnetz link n02 n61 --relation Bruder --strength 0.8
    """
    net.link(person_a, person_b, relation, strength)
    echo(f"Linked {person_a} -> {person_b}" + (f" ({relation})" if relation else ""))


@cli.command()
@click.argument("person_a")
@click.argument("person_b")
@network_options
def unlink(net, person_a, person_b):
    """Remove the link between A and B.

    \b
    Example:
      semnetz unlink n02 n61
    """
    net.unlink(person_a, person_b)
    echo(f"Unlinked {person_a} and {person_b}")


@cli.command()
@click.option("--out", required=True, metavar="FILE",
              help="The file to write: .html (a page that works offline), .svg or .png.")
@click.option("--hops", type=click.IntRange(1, MAX_HOPS), default=DEFAULT_HOPS, show_default=True,
              help="People this many links away (1 = direct contacts only).")
@click.option("--around", default="me", show_default=True, help="Centre the picture on this person's id.")
@click.option("--limit", type=click.IntRange(1, MAX_PICTURE_PEOPLE), default=DEFAULT_PICTURE_PEOPLE,
              show_default=True, help="Draw at most this many people, the nearest first.")
@network_options
def graph(net, out, hops, around, limit):
    """A picture of who knows whom around you: people within --hops, coloured by what they offer, thicker
    lines for closer ties. The file names people: it is readable only by you.

    \b
    Examples:
      semnetz graph --out net.html
      semnetz graph --out n02.svg --around n02 --hops 1
    """
    hood = net.picture(out, around=around, hops=hops, limit=limit)
    note = hood.note()
    if note:
        echo(f"Note: {note}", err=True)
    echo(f"Wrote {_as_given(out)}: {hood.summary()}")


# ---------------------------------------------------------------- needs and introductions
@cli.group(cls=click.Group, invoke_without_command=True)
@click.pass_context
def need(ctx):
    """Needs of people (or your own): semnetz need add --by ID suche größere Wohnung --when "bis März".

    \b
    Example:
      semnetz need add --by me Babysitter für Samstagabend
    """
    if ctx.invoked_subcommand is None:  # "semnetz need" alone: what it does, not a search for "need"
        echo(ctx.get_help())


@need.command(name="add")
@click.argument("text", nargs=-1, required=True)
@click.option("--by", "person_id", required=True, help="Id of the person who needs it.")
@click.option("--when", help='By when or from when: "bis März", "nächste Woche", "bis 01.03.", "vom 3.3. bis 10.3.", '
              '"ASAP". School holidays differ by federal state: give their dates.')
@network_options
def need_add(net, text, person_id, when):
    """Add a need to a person (--by me: a need of your own). Quotes are optional; a when that is over
    ("gestern") is an error.

    \b
    Examples:
      semnetz need add --by n12 suche größere Wohnung --when "bis März"
      semnetz need add --by me Babysitter --when Samstagabend
    """
    need_id = net.add_need(person_id, " ".join(text), when)
    echo(f"Added need {need_id} for {person_id}")


@cli.command()
@click.option("--status", help="Only needs with this status: open, matched, fulfilled, expired.")
@json_option
@network_options
def needs(net, status, as_json):
    """Needs in the network, soonest first.

    \b
    Example:
      semnetz needs --status open
    """
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
    """Proposed introductions: who could meet each open need, best first.

    \b
    Examples:
      semnetz match
      semnetz match --for n05 --json
    """
    from . import render

    emit(net.reach(net.match(person_id, k=k, include_all=include_all)), as_json, lambda p: p.to_json(),
         render.proposals_text,
         "No proposals: no open need fits anyone's offers.")


@cli.command()
@click.argument("need_id", type=int)
@click.argument("person_id")
@network_options
def intro(net, need_id, person_id):
    """Record that you introduced PERSON_ID to the one with NEED_ID.

    \b
    Example:
      semnetz intro 42 n05
    """
    row = net.intro(need_id, person_id)
    echo(f"Introduced {person_id} to {row.person_id} for need {need_id} (\"{row.text}\")")


@cli.command()
@click.argument("need_id", type=int)
@click.argument("person_id")
@click.option("--helped/--not-helped", required=True, help="Did PERSON_ID help with the need?")
@network_options
def outcome(net, need_id, person_id, helped):
    """Record how an introduction went.

    \b
    Example:
      semnetz outcome 42 n05 --helped
    """
    net.outcome(need_id, person_id, helped)
    echo(f"Recorded: {person_id} {'helped' if helped else 'did not help'} with need {need_id}")


# ---------------------------------------------------------------- maintenance
@cli.command()
@click.option("--yes", is_flag=True, help="Switch to another model without asking.")
@network_options
def reindex(net, yes):
    """Re-embed everyone and rebuild the index from the store; with --model, switch the network to another model.

    \b
    Examples:
      semnetz reindex
      semnetz reindex --model use-m3+minilm
    """
    built = net.built_model()
    if built and net.model_name != built and not yes:
        _ = net.encoder  # a model that does not exist (or cannot load) is said before asking, not after
        click.confirm(f"This network is built with {built}. Embed everyone again with {net.model_name} and keep it "
                      "from now on?", abort=True, err=True)
    done = net.reindex()
    echo(f"Re-embedded {done['pieces']} pieces with {done['model']}; index rebuilt.")


@cli.command()
@network_options
def check(net):
    """Check every file of the search index against its checksums; rebuild it from the store if one is damaged.
    Check every vector the store keeps, and erase what a killed write left in its vector files.

    Searches check small files whole and a sample of big ones (and never show impossible scores); this reads
    everything, so on a large network it takes a while.

    \b
    Example:
      semnetz check
    """
    done = net.check()
    if done["damaged"]:
        echo(f"Damaged: {done['damaged']}. Rebuilt the search index from the store.")
    else:
        echo(f"Checked {done['files']} files ({done['bytes'] / 1e6:.1f} MB) of the search index: all intact.")
    echo(f"Checked {done['vector_rows']:,} vectors of the store: all intact"
         + (f"; erased {done['erased']:,} rows no piece names (left by a write that was killed)." if done["erased"]
            else "."))


@cli.command()
@click.option("-n", "limit", type=click.IntRange(1), default=None, help="Only the last N entries.")
@click.option("--action", help="Only entries of this action (import, add, edit, remove, reindex, search, …).")
@json_option
@network_options
def log(net, limit, action, as_json):
    """The audit log: every change and every search, oldest first.

    \b
    Example:
      semnetz log -n 20 --action search
    """
    from . import render

    emit(net.log_entries(limit, action), as_json, dict, render.log_table, "The log is empty.")


@cli.command()
@json_option
@network_options
def stats(net, as_json):
    """Counts, index size, the model the network is built with, last reindex.

    \b
    Example:
      semnetz stats --json
    """
    from . import render

    data = net.stats()
    echo(render.json_line(data) if as_json else render.stats_text(data))


# ---------------------------------------------------------------- the page for the phone
@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on: 0.0.0.0 lets a phone on the same network open the page (then every "
                   "request needs the token).")
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True,
              help="Port (0: any free port).")
@click.option("--token", envvar=TOKEN_ENVVAR, help="The access token every request must carry (default: none on a "
                                                   "loopback address, else a new one at each start). "
                                                   f"[env: {TOKEN_ENVVAR}]")
@network_options
def serve(net, host, port, token):
    """A page for the phone (German or English, as the browser asks) and a JSON API: ask, add and edit people,
    needs, proposed introductions and how they went. Prints the link to open; Ctrl-C stops.

    \b
    Examples:
      semnetz serve
      semnetz serve --host 0.0.0.0 --port 8080
    """
    from ..web.server import serve as run

    run(net, host=host, port=port, token=token, say=echo)


# ---------------------------------------------------------------- benchmarks
@cli.group(cls=click.Group)
def bench():
    """Measure quality and speed on your own data (quality, speed, peers).

    \b
    Example:
      semnetz bench quality --people data/people.jsonl --queries data/queries.jsonl
    """


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
    echo(f"wrote {out / (name + '.json')} and the plots in {out}", err=True)


@bench.command(name="quality")
@click.option("--people", "people_file", type=click.Path(dir_okay=False), required=True,
              help="People in the import format (JSON Lines or CSV).")
@click.option("--queries", "queries_file", type=click.Path(dir_okay=False), required=True,
              help='Labelled queries, JSON lines {"q": …, "rel": {"<id>": 2 or 1}}.')
@click.option("--encoder", "encoders", multiple=True, help="Only these encoders (repeatable; default: all known).")
@click.option("--samples", type=click.IntRange(100), default=1000, show_default=True, help="Bootstrap resamples.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Write quality.json and quality.png here.")
@click.option("--split", type=click.Choice(["calibration", "heldout"]),
              help='Only the queries whose "split" is this.')
@json_option
def bench_quality(people_file, queries_file, encoders, samples, out_dir, split, as_json):
    """nDCG@5/10, Recall@5/10, MRR@10 with 95% CIs for every encoder, dense, lexical and hybrid; what the
    user sees (the cut), how often "nobody fits" is right, and how right the first result's label is
    (overall and per query "class").

    \b
    Example:
      semnetz bench quality --people data/people.jsonl --queries data/queries.jsonl --encoder use-m3
    """
    from . import render
    from ..bench.quality import quality_plot, quality_table, run_quality

    report = run_quality(people_file, queries_file, list(encoders) or None, samples,
                         progress=lambda name: echo(f"  done: {name}", err=True), split=split)
    if out_dir:
        _write_report(out_dir, "quality", report, lambda r, out: quality_plot(r, out / "quality.png"))
    echo(render.json_line(report) if as_json else quality_table(report))


@bench.command(name="speed")
@click.option("--size", "n_people", type=click.IntRange(10), default=10_000, show_default=True,
              help="People in the synthetic network (e.g. 10000, 100000, 1000000).")
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
    """Indexing throughput, warm latency, memory and index types with recall, on a synthetic network.

    \b
    Example:
      semnetz bench speed --size 10000 --out benchmarks/results
    """
    from . import render
    from ..bench.speed import run_speed, speed_plots, speed_table

    report = run_speed(n_people, seed, n_queries, list(index_types) or None, home,
                       progress=lambda msg: echo(f"  {msg}", err=True))
    if out_dir:
        _write_report(out_dir, f"speed-{n_people}", report, lambda r, out: speed_plots(out))
    echo(render.json_line(report) if as_json else speed_table(report))


@bench.command(name="peers")
@click.option("--size", "n_people", type=click.IntRange(10), default=2000, show_default=True,
              help="People in the synthetic network.")
@click.option("--queries", "n_queries", type=click.IntRange(10), default=200, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Write peers.json here.")
@json_option
def bench_peers(n_people, n_queries, seed, out_dir, as_json):
    """semnetz against txtai and brute-force numpy: same data, same encoder, one run.

    \b
    Example:
      semnetz bench peers --size 2000
    """
    from . import render
    from ..bench.peers import peers_table, run_peers

    report = run_peers(n_people, n_queries, seed, progress=lambda msg: echo(f"  {msg}", err=True))
    if out_dir:
        _write_report(out_dir, "peers", report, lambda r, out: None)
    echo(render.json_line(report) if as_json else peers_table(report))


if __name__ == "__main__":  # pragma: no cover
    cli(prog_name="semnetz")
