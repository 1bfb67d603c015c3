"""The FastAPI application of `semnetz serve`: a JSON API under /api (OpenAPI at /openapi.json) and the pages
(/, /people, /needs), both over one long-lived Network.

Library calls block, so they run in the server's thread pool: most endpoints are a plain ``def``. Searches (and
the proposals of match, the same ranking work) go through the gate (gate.py): two per core run at once, the
others wait in the event loop; writes and the pages and answers that read the store go first: while one runs, no
waiting search starts, so an add takes about what it takes alone however many people search. The library lets
one thread at a time use the store, and writers of other processes queue on the home's write lock. Nothing of
ranking or storage is here: an endpoint turns a request into a library call and the answer into JSON (the
library's to_json) or a page.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import Body, FastAPI, Form, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, StrictUndefined
from pydantic import BaseModel, ConfigDict, StrictBool
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import __version__
from ..errors import InputError, SemnetzError, UnknownPersonError
from ..limits import (DEFAULT_HOPS, DEFAULT_K, DEFAULT_PROPOSALS, MAX_BODY_BYTES, MAX_HOPS, MAX_K, MAX_PROPOSALS,
                      MAX_QUERY_CHARS)
from ..records import SELF_ID, PersonEdit, person_from_dict
from ..results import mailto_uri, tel_uri
from ..store import StoreBusyError
from .access import COOKIE, COOKIE_MAX_AGE_S, SAFE_METHODS, Access, same_origin
from .gate import Gate
from .messages import Translator, pick_language

log = logging.getLogger("semnetz.web")

CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; "
       "frame-ancestors 'none'")
PERSON_EXAMPLE = {"name": "Jonas Weber", "text": "Elektriker, kommt meist am nächsten Tag",
                  "offers": ["Lampen anschließen"], "contact": {"phone": "+49 170 1111"}, "via": "n02"}


def create_app(net, host: str = "127.0.0.1", token: str | None = None, lanes: int | None = None) -> FastAPI:
    """The application for one Network. ``host`` is the address the server is bound to: off loopback (or with a
    token given) every request needs the token (app.state.access.token; made here when none is given). ``lanes``:
    how many searches run at once (default: two per usable core; app.state.gate)."""
    access = Access.for_host(host, token)
    gate = Gate(lanes)
    app = FastAPI(title="semnetz", version=__version__, docs_url=None, redoc_url=None, openapi_url="/openapi.json",
                  description="Ask your network in free text. The JSON API mirrors the Python library "
                              "(semnetz.Network); every request needs `Authorization: Bearer TOKEN` when the "
                              "server was started with a token.")
    app.state.net = net
    app.state.access = access
    app.state.gate = gate
    # inside the guard (added before it): an error of the body's reading reaches FastAPI as it is, not wrapped
    # in the guard's task group
    app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES)
    _guard(app, access)
    _errors(app)
    _api(app, net, gate)
    _pages(app, net, gate)
    app.mount("/static", StaticFiles(packages=[("semnetz.web", "static")]), name="static")
    return app


# ---------------------------------------------------------------- request bodies
def too_large_message(limit: int) -> str:
    return f"the request is too large (at most {limit // 1024} KB)"


class BodyLimit:
    """Request bodies of at most `limit` bytes (a form or a JSON body holds one person or one need): a larger
    Content-Length is refused (413) before anything is read; a body without one (chunked) is read until it passes
    the limit, then refused. uvicorn reads the socket only as fast as the app takes the body, and closes a
    connection whose body was not read, so what is held stays about the limit."""

    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None:
            if not length.strip().isdigit():
                return await self._refuse(scope, receive, send, 400, "the Content-Length header is not a number")
            if int(length) > self.limit:
                return await self._refuse(scope, receive, send, 413, too_large_message(self.limit))
        received = 0

        async def limited():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:  # FastAPI passes its own HTTPException on (others become a 400)
                    raise HTTPException(413, too_large_message(self.limit), headers={"Connection": "close"})
            return message

        await self.app(scope, limited, send)

    async def _refuse(self, scope, receive, send, status: int, message: str) -> None:
        request = Request(scope)
        page = is_page(request)
        response = problem(request, status, message, key=("too_large" if status == 413 else "invalid_request")
                           if page else None, headers={"Connection": "close"})
        await response(scope, receive, send)


# ---------------------------------------------------------------- rendering and errors
_ENV: Environment | None = None


def _templates() -> Environment:
    global _ENV
    if _ENV is None:
        env = Environment(loader=PackageLoader("semnetz.web", "templates"), autoescape=True,
                          undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
        env.filters["pathpart"] = lambda value: quote(str(value), safe="")
        _ENV = env
    return _ENV


def translator(request: Request) -> Translator:
    return Translator(pick_language(request.headers.get("accept-language")))


def render(request: Request, template: str, status: int = 200, **context) -> HTMLResponse:
    t = translator(request)
    context = {"t": t, "lang": t.lang, "section": None, "done": None, "error": None, "error_key": None,
               **context}
    html = _templates().get_template(template).render(context)
    return HTMLResponse(html, status_code=status, headers={"Vary": "Accept-Language"})


def is_page(request: Request) -> bool:
    path = request.url.path
    return not (path == "/api" or path.startswith(("/api/", "/static/")) or path == "/openapi.json")


def problem(request: Request, status: int, message: str, key: str | None = None,
            headers: dict | None = None) -> Response:
    """An error: JSON {"error": message} for the API, a page that says it in words for a page."""
    if is_page(request):
        t = translator(request)
        title = t("token_title") if key == "token_needed" else t("error_heading")
        response = render(request, "message.html", status=status, title=title, error=message, error_key=key)
        response.headers.update(headers or {})
        return response
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def status_of(exc: SemnetzError) -> int:
    if isinstance(exc, UnknownPersonError):
        return 404
    if isinstance(exc, InputError):
        return 422
    if isinstance(exc, StoreBusyError):
        return 503
    return 400


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path"))
        parts.append(f"{where}: {error.get('msg')}" if where else str(error.get("msg")))
    return "; ".join(parts) or "invalid request"


def _errors(app: FastAPI) -> None:
    @app.exception_handler(SemnetzError)
    def semnetz_error(request: Request, exc: SemnetzError):
        if is_page(request):
            return problem(request, status_of(exc), translator(request).error(exc))
        return problem(request, status_of(exc), str(exc))

    @app.exception_handler(RequestValidationError)
    def invalid(request: Request, exc: RequestValidationError):
        return problem(request, 422, _validation_message(exc), key="invalid_request" if is_page(request) else None)

    @app.exception_handler(StarletteHTTPException)
    def http_error(request: Request, exc: StarletteHTTPException):
        if exc.status_code == 404 and is_page(request):
            return problem(request, 404, "not found", key="not_found")
        return problem(request, exc.status_code, str(exc.detail), headers=getattr(exc, "headers", None),
                       key="invalid_request" if is_page(request) else None)

    @app.exception_handler(Exception)
    def failed(request: Request, exc: Exception):
        log.exception("semnetz serve: %s %s failed", request.method, request.url.path)
        first = (str(exc).splitlines() or [type(exc).__name__])[0]
        return problem(request, 500, f"the server failed ({type(exc).__name__}: {first}); see its terminal",
                       key="server_failed" if is_page(request) else None)


# ---------------------------------------------------------------- access
def _guard(app: FastAPI, access: Access) -> None:
    @app.middleware("http")
    async def guard(request: Request, call_next):
        response = _refused(request, access)
        if response is None:
            response = await call_next(request)
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Content-Security-Policy", CSP)
        if not request.url.path.startswith("/static/"):
            headers.setdefault("Cache-Control", "no-store")
        return response


def _refused(request: Request, access: Access) -> Response | None:
    """The answer to a request that may not go on (or that only signs in); None lets it through."""
    if not access.host_allowed(request.headers.get("host")):
        return problem(request, 403, "this server is bound to a loopback address and answers only to that name "
                                     "(the Host header names another)", key="wrong_host" if is_page(request) else None)
    how = access.credential(request.headers, request.query_params, request.cookies) if access.required else None
    if access.required and how is None:
        return problem(request, 401, "a token is needed: send 'Authorization: Bearer TOKEN', or open the link "
                                     "that semnetz serve printed", key="token_needed",
                       headers={"WWW-Authenticate": 'Bearer realm="semnetz"'})
    if request.method not in SAFE_METHODS and how not in ("bearer", "query") and not same_origin(request.headers):
        return problem(request, 403, "a write from another site is refused (its Origin is not this server)",
                       key="forbidden")
    if how == "query" and request.method == "GET" and is_page(request):
        return _sign_in(request, access)
    return None


def _sign_in(request: Request, access: Access) -> Response:
    """A page opened with ?token=: keep the token in an HttpOnly, SameSite=Strict cookie and go on without it in
    the address. Arriving from another app or site (a chat, a QR code), a redirect would not carry the strict
    cookie, so a small page continues from here instead."""
    rest = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
    target = quote(request.url.path) + ("?" + urlencode(rest) if rest else "")
    if request.headers.get("sec-fetch-site") in ("none", "same-origin"):
        response: Response = RedirectResponse(target, status_code=303)
    else:
        t = translator(request)
        response = render(request, "signed_in.html", title=t("token_set"), target=target)
    response.set_cookie(COOKIE, access.token, max_age=COOKIE_MAX_AGE_S, path="/", httponly=True,
                        samesite="strict", secure=request.url.scheme == "https")
    return response


# ---------------------------------------------------------------- searches and writes (gate.py)
async def ranking(gate: Gate, call):
    """Search work (a search, match's proposals, and the page that shows them): in a lane of the gate, run in the
    thread pool."""
    async with gate.search():
        return await run_in_threadpool(call)


@contextmanager
def writing(net, gate: Gate, what: str):
    """A write of the server: first the home's write lock (waiting for another process's writer while searches
    go on), then, holding it, ahead of the searches that have not started."""
    with net.store.locked(f"{what} (semnetz serve)"), gate.first():
        yield


@contextmanager
def reading(net, gate: Gate):
    """A page or answer that reads the store: one read session for all its reads (waiting, if it must, for a
    writer while searches go on), then ahead of the searches that have not started."""
    with net.store.read(), gate.first():
        yield


# ---------------------------------------------------------------- the JSON API
class NeedIn(BaseModel):
    """A need of a person (by: their id, or "me")."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"by": "n12", "text": "suche größere Wohnung", "when": "bis März"}]})
    by: str
    text: str
    when: str | None = None


class IntroIn(BaseModel):
    """You introduced person_id to the one with need need_id."""

    model_config = ConfigDict(extra="forbid")
    need_id: int
    person_id: str


class OutcomeIn(BaseModel):
    """How an introduction went."""

    model_config = ConfigDict(extra="forbid")
    need_id: int
    person_id: str
    helped: StrictBool


def _need_row(net, need_id: int):
    return next((n for n in net.needs() if n.need_id == need_id), None)


def _intro_json(net, need_id: int, person_id: str) -> dict | None:
    return next((i.to_json() for i in net.intros(need_id) if i.person_id == person_id), None)


def _api(app: FastAPI, net, gate: Gate) -> None:
    @app.get("/api/search", tags=["search"], summary="People who fit a need")
    async def api_search(q: Annotated[str, Query(description="The need in free text",
                                                 examples=["brauche Handwerker"])],
                         k: Annotated[int, Query(ge=1, le=MAX_K)] = DEFAULT_K,
                         hops: Annotated[int, Query(ge=1, le=MAX_HOPS)] = DEFAULT_HOPS,
                         when: str | None = None,
                         tag: Annotated[list[str] | None, Query()] = None,
                         include_all: Annotated[bool, Query(alias="all")] = False) -> dict:
        """The same objects as `semnetz search --json`, under "results" (`{"q", "results": [...]}`, plus "when",
        "searched_as", "note" when they apply)."""
        def search() -> dict:
            result = net.search(q, k=k, hops=hops, when=when, tags=tag or None, include_all=include_all)
            net.reach(result.matches)
            return result.to_json()

        return await ranking(gate, search)

    @app.get("/api/people", tags=["people"], summary="Everyone, in the import format")
    def api_people() -> list[dict]:
        with reading(net, gate):
            return [record.to_dict() for record in net.records()]

    @app.get("/api/people/{person_id:path}", tags=["people"], summary="One person, in the import format")
    def api_person(person_id: str) -> dict:
        with reading(net, gate):
            return net.get(person_id).to_dict()

    @app.post("/api/people", tags=["people"], status_code=201, summary="Add one person")
    def api_add_person(person: Annotated[Any, Body(description="One person in the import format (a line of "
                                                               "people.jsonl)", examples=[PERSON_EXAMPLE])]) -> dict:
        """Validated as an import line is; a new person even if someone has the same name (`same_name` lists
        them); an id someone has is an error."""
        record = person_from_dict(person)
        with writing(net, gate, "add"):
            new_id = net.add(record)
            return {"id": new_id, "person": net.get(new_id).to_dict(), "same_name": net.namesakes(new_id)}

    @app.patch("/api/people/{person_id:path}", tags=["people"], summary="Change a person")
    def api_edit_person(person_id: str, changes: Annotated[Any, Body(
            description="Fields to change (as `semnetz edit`): name, text, via (\"\": a direct contact), offers, "
                        "aliases, needs, tags (replace the list; [] empties it), add_offers, remove_offers, "
                        "add_aliases, add_needs, phone, email (\"\" clears it)",
            examples=[{"add_offers": ["Boiler warten"], "email": ""}])]) -> dict:
        change = PersonEdit.from_dict(changes)
        with writing(net, gate, "edit"):
            net.edit(person_id, change)
            return {"id": person_id, "person": net.get(person_id).to_dict()}

    @app.get("/api/needs", tags=["needs"], summary="Needs, soonest first")
    def api_needs(status: Annotated[str | None, Query(description="open, matched, fulfilled or expired")] = None
                  ) -> list[dict]:
        with reading(net, gate):
            return [row.to_json() for row in net.needs(status, read_only=True)]

    @app.post("/api/needs", tags=["needs"], status_code=201, summary="Add a need")
    def api_add_need(need: NeedIn) -> dict:
        """`when` is read as people write dates ("bis März", "nächste Woche", "ASAP"); what cannot be read as a
        date is an error."""
        with writing(net, gate, "need add"):
            need_id = net.add_need(need.by, need.text, need.when)
            row = _need_row(net, need_id)
            return row.to_json() if row is not None else {"need_id": need_id}

    @app.get("/api/match", tags=["needs"], summary="Proposed introductions")
    async def api_match(person: Annotated[str | None, Query(alias="for", description="Which open needs this "
                                                                                    "person could meet")] = None,
                        k: Annotated[int, Query(ge=1, le=MAX_PROPOSALS)] = DEFAULT_PROPOSALS,
                        include_all: Annotated[bool, Query(alias="all")] = False) -> list[dict]:
        """For every open need the people whose offers could meet it, best first (as `semnetz match --json`).
        A GET writes nothing: unlike `semnetz match`, the proposals are not written to the audit log."""
        return await ranking(gate, lambda: [p.to_json() for p in net.reach(
            net.match(person, k=k, include_all=include_all, read_only=True))])

    @app.get("/api/intros", tags=["needs"], summary="Introductions recorded")
    def api_intros(need_id: int | None = None) -> list[dict]:
        with reading(net, gate):
            return [i.to_json() for i in net.intros(need_id)]

    @app.post("/api/intros", tags=["needs"], status_code=201, summary="Record an introduction")
    def api_intro(intro: IntroIn) -> dict:
        with writing(net, gate, "intro"):
            need = net.intro(intro.need_id, intro.person_id)
            return {"need": need.to_json(), "intro": _intro_json(net, intro.need_id, intro.person_id)}

    @app.post("/api/outcomes", tags=["needs"], status_code=201, summary="Record how an introduction went")
    def api_outcome(outcome: OutcomeIn) -> dict:
        with writing(net, gate, "outcome"):
            need = net.outcome(outcome.need_id, outcome.person_id, outcome.helped)
            return {"need": need.to_json(), "intro": _intro_json(net, outcome.need_id, outcome.person_id)}


# ---------------------------------------------------------------- the pages
def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _text(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")  # a textarea sends CR LF


def _commas(text: str) -> list[str]:
    return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]


def _redirect(path: str, fragment: str = "", **query) -> RedirectResponse:
    query = {k: v for k, v in query.items() if v is not None}
    return RedirectResponse(path + ("?" + urlencode(query) if query else "") + (f"#{fragment}" if fragment else ""),
                            status_code=303)


def _reach_view(reach, t: Translator) -> dict:
    """How to reach someone (the library's Reach: whom to contact and how), in the page's words and links."""
    steps = reach.steps
    if not reach.introduced:
        text = t("direct")
    else:
        named = [s.name + (f" ({s.relation})" if s.relation else "") for s in steps[1:]]
        text = t("intro_ask", introducer=steps[0].name, target=named[0])
        for before, name in zip(steps[1:], named[1:]):
            text += t("intro_chain", previous=before.name, name=name)
        text += "."
    name = reach.whom.name
    links = []
    for key, value in reach.contact.items():
        if key == "phone":  # a short text to see, the whole sentence to hear (it contains the short one)
            links.append({"href": tel_uri(value), "text": t("call_short", phone=value),
                          "label": t("call", name=name, phone=value)})
        elif key == "email":
            links.append({"href": mailto_uri(value), "text": t("write_short", email=value),
                          "label": t("write", name=name, email=value)})
        else:
            links.append({"href": None, "text": f"{name}, {key}: {value}", "label": None})
    return {"text": text, "links": links}


def _match_view(match, t: Translator) -> dict:
    why = {"name": "why_name", "alias": "why_alias", "phone": "why_phone", "email": "why_email"}.get(match.why_kind)
    reach = _reach_view(match.reach, t) if match.reach else {"text": "", "links": []}
    return {
        "id": match.id, "name": match.name,
        "confidence": match.confidence or "",
        "confidence_words": t(f"confidence_{match.confidence}") if match.confidence else "",
        "score": t("score", score=t.number(match.score)),
        "why": t(why, why=match.why) if why else match.why,
        "time": {"fits": t("time_fits"), "contradicts": t("time_contradicts")}.get(match.availability or ""),
        "reach": reach["text"],
        "links": reach["links"],
    }


def _search_view(net, result, t: Translator) -> dict:
    net.reach(result.matches)
    verdict = result.verdict
    summary = {"empty_network": lambda: t("nobody_yet"),
               "nothing_searched": lambda: t("nothing_searched"),
               "nobody_fits": lambda: t("nobody_fits", q=result.query),
               "closest_only": lambda: t("closest_only", q=result.query)}.get(verdict, lambda: None)()
    return {"query": result.query, "summary": summary,
            "searched_as": t("searched_as", q=result.searched_as) if result.searched_as else None,
            "note": t("query_cut", limit=t.number(MAX_QUERY_CHARS, 0)) if result.note_key == "query_cut" else None,
            "matches": [_match_view(m, t) for m in result.matches]}


def _name(row_id: str, name: str, t: Translator) -> str:
    """A person's name as the page says it: you are "ich"/"me", not the person "me"."""
    return t("me_name") if row_id == SELF_ID else name


def _need_view(need, t: Translator) -> dict:
    dates = []
    if need.due_from and need.due_from == need.due_until:
        dates.append(t("need_on", date=t.date(need.due_from)))
    else:
        if need.due_from:
            dates.append(t("need_from", date=t.date(need.due_from)))
        if need.due_until:
            dates.append(t("need_until", date=t.date(need.due_until)))
    heading = t("need_heading_me", need=need.text) if need.person_id == SELF_ID else \
        t("need_heading", name=need.person_name, need=need.text)
    return {"id": need.need_id, "by": need.person_id, "heading": heading,
            "when": t("need_when", when=need.when) + (f" ({', '.join(dates)})" if dates else "") if need.when else "",
            "status": need.status, "status_words": t(f"status_{need.status}"), "proposals": [], "intros": []}


def _person_form(record=None) -> dict:
    if record is None:
        return {"name": "", "text": "", "offers": "", "aliases": "", "tags": "", "phone": "", "email": "",
                "via": ""}
    return {"name": record.name, "text": record.text, "offers": "\n".join(record.offers),
            "aliases": "\n".join(record.aliases), "tags": ", ".join(record.tags),
            "phone": record.contact.get("phone", ""), "email": record.contact.get("email", ""),
            "via": record.via or ""}


PersonField = Annotated[str, Form()]


def _pages(app: FastAPI, net, gate: Gate) -> None:
    def people_choices():
        return [(row["id"], row["name"]) for row in net.list_people() if row["id"] != SELF_ID]

    # ---- ask
    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def ask_page(request: Request, q: str = ""):
        def page():
            t = translator(request)
            result = _search_view(net, net.search(q), t) if q.strip() else None
            return render(request, "ask.html", title=t("ask_title"), section="nav_ask", q=q, result=result)

        return await (ranking(gate, page) if q.strip() else run_in_threadpool(page))

    # ---- people
    def people_page(request, status=200, form=None, error=None):
        t = translator(request)
        people = [{**p, "name": _name(p["id"], p["name"], t)} for p in net.list_people()]
        return render(request, "people.html", status=status, title=t("people_title"), section="nav_people",
                      people=people, choices=[(p["id"], p["name"]) for p in people if p["id"] != SELF_ID],
                      form=form or _person_form(), error=error)

    @app.get("/people", response_class=HTMLResponse, include_in_schema=False)
    def people_get(request: Request):
        with reading(net, gate):
            return people_page(request)

    @app.post("/people", include_in_schema=False)
    def people_post(request: Request, name: PersonField = "", text: PersonField = "", offers: PersonField = "",
                    aliases: PersonField = "", tags: PersonField = "", phone: PersonField = "",
                    email: PersonField = "", via: PersonField = ""):
        form = {"name": name, "text": text, "offers": offers, "aliases": aliases, "tags": tags, "phone": phone,
                "email": email, "via": via}
        data = {"name": name, "text": _text(text), "offers": _lines(offers), "aliases": _lines(aliases),
                "tags": _commas(tags), "contact": {k: v for k, v in (("phone", phone), ("email", email)) if v.strip()},
                "via": via or None}
        try:
            with writing(net, gate, "add"):
                new_id = net.add(person_from_dict(data))
        except InputError as exc:
            return people_page(request, 422, form, translator(request).error(exc))
        return _redirect(f"/people/{quote(new_id, safe='')}", done="added")

    def person_page(request, person_id, status=200, form=None, error=None, done=None):
        t = translator(request)
        record = net.get(person_id)
        message = None
        if done == "added":
            others = net.namesakes(record.id)
            message = t("added", name=record.name, id=record.id) + (
                " " + t("also_named", name=record.name, ids=", ".join(others)) if others else "")
        elif done == "saved":
            message = t("saved")
        title = t("person_title_me") if record.id == SELF_ID else t("person_title", name=record.name)
        return render(request, "person.html", status=status, title=title,
                      section="nav_people", person=record, form=form or _person_form(record),
                      choices=[c for c in people_choices() if c[0] != record.id], error=error, done=message)

    @app.get("/people/{person_id:path}", response_class=HTMLResponse, include_in_schema=False)
    def person_get(request: Request, person_id: str, done: str | None = None):
        with reading(net, gate):
            return person_page(request, person_id, done=done)

    @app.post("/people/{person_id:path}", include_in_schema=False)
    def person_post(request: Request, person_id: str, name: PersonField = "", text: PersonField = "",
                    offers: PersonField = "", aliases: PersonField = "", tags: PersonField = "",
                    phone: PersonField = "", email: PersonField = "", via: PersonField = ""):
        form = {"name": name, "text": text, "offers": offers, "aliases": aliases, "tags": tags, "phone": phone,
                "email": email, "via": via}
        change = PersonEdit(name=name.strip() or None, text=_text(text), via=via, offers=_lines(offers),
                            aliases=_lines(aliases), tags=_commas(tags), phone=phone.strip(), email=email.strip())
        try:
            with writing(net, gate, "edit"):
                net.edit(person_id, change)
        except InputError as exc:
            return person_page(request, person_id, 422, form, translator(request).error(exc))
        return _redirect(f"/people/{quote(person_id, safe='')}", done="saved")

    # ---- needs and introductions
    def needs_page(request, status=200, form=None, error=None, done=None, person=None):
        t = translator(request)
        needs = [_need_view(n, t) for n in net.needs(read_only=True)]  # a view writes nothing
        by_id = {n["id"]: n for n in needs}
        for proposal in net.reach(net.match(read_only=True)):
            if proposal.need.need_id in by_id:
                reach = _reach_view(proposal.reach, t) if proposal.reach else {"text": "", "links": []}
                by_id[proposal.need.need_id]["proposals"].append({
                    "person_id": proposal.person_id, "name": proposal.person_name,
                    "offer": t("proposal", name=proposal.person_name, offer=proposal.offer),
                    "reach": reach["text"], "links": reach["links"]})
        for intro in net.intros():
            if intro.need_id in by_id:
                by_id[intro.need_id]["intros"].append({
                    "person_id": intro.person_id, "name": intro.person_name, "status": intro.status,
                    "line": t("intro_line", name=intro.person_name, status=t(f"intro_{intro.status}"))})
        choices = people_choices()
        message = None
        if done:
            names = dict(choices)
            name = names.get(person or "", person or "")
            message = {"need": t("need_added"), "intro": t("intro_recorded", name=name),
                       "helped": t("outcome_helped", name=name),
                       "not_helped": t("outcome_not_helped", name=name)}.get(done)
        return render(request, "needs.html", status=status, title=t("needs_title"), section="nav_needs",
                      open=[n for n in needs if n["status"] == "open"],
                      matched=[n for n in needs if n["status"] == "matched"],
                      closed=[n for n in needs if n["status"] in ("fulfilled", "expired")],
                      choices=choices, form=form or {"by": "", "text": "", "when": ""}, error=error, done=message)

    @app.get("/needs", response_class=HTMLResponse, include_in_schema=False)
    async def needs_get(request: Request, by: str = "", done: str | None = None, person: str | None = None):
        return await ranking(gate, lambda: needs_page(request, form={"by": by, "text": "", "when": ""}, done=done,
                                                      person=person))

    @app.post("/needs", include_in_schema=False)
    def needs_post(request: Request, by: PersonField = "", text: PersonField = "", when: PersonField = ""):
        try:
            with writing(net, gate, "need add"):
                need_id = net.add_need(by, text, when.strip() or None)
        except SemnetzError as exc:
            return needs_page(request, 422, {"by": by, "text": text, "when": when}, translator(request).error(exc))
        return _redirect("/needs", f"need-{need_id}", done="need")

    @app.post("/intros", include_in_schema=False)
    def intros_post(request: Request, need_id: Annotated[int, Form()], person_id: PersonField):
        try:
            with writing(net, gate, "intro"):
                net.intro(need_id, person_id)
        except SemnetzError as exc:
            return needs_page(request, 422, error=translator(request).error(exc))
        return _redirect("/needs", f"need-{need_id}", done="intro", person=person_id)

    @app.post("/outcomes", include_in_schema=False)
    def outcomes_post(request: Request, need_id: Annotated[int, Form()], person_id: PersonField,
                      helped: PersonField = ""):
        try:
            if helped not in ("yes", "no"):
                raise InputError("say whether they helped (helped=yes or helped=no)", key="helped_missing")
            with writing(net, gate, "outcome"):
                net.outcome(need_id, person_id, helped == "yes")
        except SemnetzError as exc:
            return needs_page(request, 422, error=translator(request).error(exc))
        return _redirect("/needs", f"need-{need_id}", done="helped" if helped == "yes" else "not_helped",
                         person=person_id)
