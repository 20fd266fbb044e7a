"""Auto-detection: find the servers for an address, probe them, rank, verify the login.

Sources are tried in this priority, concurrently: SRV records, autoconfig XML over
HTTPS, the MX provider's autoconfig. The first source (in priority order) whose probes
give a working incoming server wins; only if none does, the usual host names are
guessed. Within a source all probes run at once and *all* are awaited (up to the
per-probe timeout), so a fast weak answer never beats a slower strong one.

Consent before credentials: probing sends nothing secret. With a password, the login is
verified at once only when no chosen server needs the user's confirmation; otherwise
(a server outside the domain, found by SRV or the MX provider; an unencrypted server; a
weaker choice than offered) `Detection.login_deferred` is set, and the caller asks the
user and only then calls `verify_detection`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from tuimail.core.account import Account, ServerSettings
from tuimail.core.discovery import autoconfig as autoconfig_mod
from tuimail.core.discovery import ispdb
from tuimail.core.discovery.findings import (
    Confirm,
    ConfirmKind,
    NotFound,
    NotFoundHint,
    NotFoundReason,
    Notice,
    NoticeKind,
)
from tuimail.core.discovery.guess import guess_candidates
from tuimail.core.discovery.model import (
    SECURITY_RANK,
    SOURCES,
    Candidate,
    Event,
    Note,
    ProbeResult,
    Step,
)
from tuimail.core.discovery.mx import mx_hosts, provider_domain
from tuimail.core.discovery.pin import read_pin
from tuimail.core.discovery.probe import plain_failure, probe
from tuimail.core.discovery.resolver import DNSError, Resolver, dns_failure
from tuimail.core.discovery.srv import in_domain, lookup_srv
from tuimail.core.discovery.verify import LoginCheck, verify_account
from tuimail.core.errors import MailError, SecurityFailure, TimedOut, Unreachable
from tuimail.core.net_errors import classify_transport
from tuimail.core.secrets import Secret

Progress = Callable[[Event], None]

# Servers probed of one kind (protocol and security) from one source, best first: a
# domain publishing 300 SRV records gets 8 of each kind probed, not 300 (the usual host
# names, the most numerous honest list, are 6 of a kind).
MAX_PER_KIND = 8


def not_an_address(email: str) -> bool:
    """Whether `email` has no domain detection could look up: no "@", no dot, or a domain
    no DNS name can be (blanks, control characters, an empty label as in "a..b", "@" or
    a bracket), so nothing is asked of DNS or probed for it."""
    domain = _domain_of(email)
    if "@" not in email or not domain or "." not in domain:
        return True
    return any(c.isspace() or ord(c) < 32 or c in '@[]()<>,;:\\"' for c in domain) or any(
        not label for label in domain.split(".")
    )


def _domain_of(email: str) -> str:
    return email.rpartition("@")[2].strip().lower().rstrip(".")


@dataclass
class DetectOptions:
    timeout: float = 10.0  # per probe / look-up
    total_timeout: float = 15.0  # the whole detection, about
    allow_plain: bool = False
    prefer_pop3: bool = False
    nameserver: str | None = None  # HOST[:PORT]: every look-up goes there
    ca_file: str | None = None  # an extra trust anchor
    password: Secret | None = None  # given: verify the login (when no consent is needed)
    username: str | None = None  # the login name, when it is not the address
    # Test overrides the user never sees: standard port -> test port, autoconfig port.
    port_map: dict[int, int] = field(default_factory=dict)
    https_port: int = 443
    resolver: Resolver | None = None


@dataclass
class Detection:
    email: str
    source: str | None = None  # "srv" | "autoconfig" | "mx" | "guess"
    incoming: ProbeResult | None = None
    outgoing: ProbeResult | None = None
    probes: list[ProbeResult] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    warnings: list[Notice] = field(default_factory=list)  # for the user to know
    confirm: list[Confirm] = field(default_factory=list)  # needs the user's explicit yes
    logins: list[LoginCheck] = field(default_factory=list)
    # A password was given but not sent: the servers need the user's yes first.
    login_deferred: bool = False
    # OAuth 2.0: {"required": bool, "offered": bool, "issuer": str | None,
    # "provider": str | None} when the provider signs in with OAuth (ISPDB, or servers that
    # offer only XOAUTH2/OAUTHBEARER), else None.
    oauth2: dict | None = None
    # Its endpoints (ISPDB, or the autoconfig document's <oAuth2> block): for signing in.
    oauth2_provider: ispdb.OAuthProvider | None = None
    error: NotFound | None = None  # typed: why nothing usable was found
    seconds: float = 0.0

    @property
    def found(self) -> bool:
        return self.incoming is not None and self.outgoing is not None

    @property
    def login_ok(self) -> bool | None:
        if not self.logins:
            return None
        return all(c.ok for c in self.logins)

    def account(self, name: str, **kwargs) -> Account:
        """The Account these settings describe (raises if nothing was found)."""
        if not self.found:
            raise ValueError(f"no servers found ({self.error.reason.value if self.error else ''})")
        inc, out = self.incoming.candidate, self.outgoing.candidate
        return Account(
            name=name,
            email=self.email,
            protocol=inc.protocol,
            incoming=ServerSettings(inc.host, inc.port, inc.security),
            outgoing=ServerSettings(out.host, out.port, out.security),
            **kwargs,
        )

    def ordered_probes(self) -> list[ProbeResult]:
        """The probes in the order reports list them."""
        return sorted(self.probes, key=_probe_order)

    def lookups(self) -> list[Event]:
        """The events other than probes (look-ups, pins, logins), in order."""
        return [e for e in self.events if e.stage != "probe"]

    def to_json(self) -> dict:
        """Core's own record: kinds and plain details, no sentences (the CLI's --json is
        tuimail.detect_words.detection_dict, which words them; docs/json.md)."""

        def choice(result: ProbeResult | None) -> dict | None:
            if result is None:
                return None
            c = result.candidate
            return {
                "protocol": c.protocol,
                "host": c.host,
                "port": c.port,
                "security": c.security,
                "encrypted": c.security != "plain",
                "outside_domain": c.outside_domain,
                "source": c.source,
                "auth_mechanisms": list(result.auth_mechanisms),
                "verified": result.verified,
            }

        return {
            "email": self.email,
            "found": self.found,
            "source": self.source,
            "incoming": choice(self.incoming),
            "outgoing": choice(self.outgoing),
            "needs_confirmation": [c.kind.value for c in self.confirm],
            "login_deferred": self.login_deferred,
            "oauth2": self.oauth2,
            "warnings": [w.kind.value for w in self.warnings],
            "login": None
            if not self.logins
            else {
                "ok": self.login_ok,
                "checks": [{"role": c.role, "ok": c.ok, "detail": c.detail} for c in self.logins],
            },
            "probes": [p.to_dict() for p in self.ordered_probes()],
            "lookups": [
                {"stage": e.stage, "target": e.target, "ok": e.ok, "detail": e.detail}
                for e in self.lookups()
            ],
            "error": self.error.reason.value if self.error else None,
            "seconds": round(self.seconds, 3),
        }


class _Run:
    """One detection: the shared deadline, progress reporting, the thread pool."""

    def __init__(self, email: str, options: DetectOptions, progress: Progress | None) -> None:
        self.email = email
        self.domain = _domain_of(email)
        self.options = options
        self.progress = progress
        self.start = time.monotonic()
        self.deadline = self.start + options.total_timeout
        self.result = Detection(email=email)
        self.lock = threading.Lock()
        self.closed = False
        self.pool = ThreadPoolExecutor(max_workers=48, thread_name_prefix="detect")
        self.ispdb = ispdb.lookup(self.domain) if "." in self.domain else None
        self.mx_ispdb: ispdb.IspdbEntry | None = None  # the MX provider's entry, if used
        self.autoconfig_oauth2: ispdb.OAuthProvider | None = None  # an <oAuth2> block
        self.resolver = options.resolver or Resolver(options.nameserver, options.timeout)

    def past_deadline(self) -> bool:
        """Whether the whole detection's time (total_timeout) is up; the first time it is
        seen, the detection says so (NoticeKind.DEADLINE)."""
        if time.monotonic() < self.deadline:
            return False
        with self.lock:
            if not any(w.kind is NoticeKind.DEADLINE for w in self.result.warnings):
                notice = Notice(NoticeKind.DEADLINE, seconds=self.options.total_timeout)
                self.result.warnings.append(notice)
        return True

    def remaining(self, cap: float | None = None) -> float:
        left = max(0.5, self.deadline - time.monotonic())
        return min(left, cap if cap is not None else self.options.timeout)

    def report(self, event: Event) -> None:
        with self.lock:
            if self.closed:  # a probe finishing after the answer was given
                return
            self.result.events.append(event)
            if event.result is not None:
                self.result.probes.append(event.result)
        if self.progress is not None:
            try:
                self.progress(event)
            except Exception:
                pass  # a broken progress display must not break detection

    # -- sources ---------------------------------------------------------------------

    def _map(self, candidate: Candidate) -> Candidate:
        port = self.options.port_map.get(candidate.port, candidate.port)
        if port == candidate.port:
            return candidate
        return Candidate(
            candidate.protocol,
            candidate.host,
            port,
            candidate.security,
            candidate.source,
            candidate.order,
            candidate.outside_domain,
        )

    def srv(self) -> list[Candidate]:
        # SRV look-ups are many small queries: keep them inside a third of the budget.
        timeout = self.remaining(min(self.options.timeout, self.options.total_timeout / 3))
        candidates, notes = lookup_srv(self.resolver, self.domain, timeout)
        note = Note(Step.SRV_RECORDS, count=len(candidates), srv=tuple(notes))
        self.report(Event("srv", f"_*._tcp.{self.domain}", bool(candidates), note=note))
        return candidates

    def autoconfig(self, domain: str, stage: str) -> list[Candidate]:
        port = self.options.https_port
        for host, path in autoconfig_mod.autoconfig_urls(domain, port):
            url = autoconfig_mod.url_text(host, path, port)
            try:
                body = autoconfig_mod.fetch(
                    self.resolver,
                    host,
                    path,
                    port=port,
                    timeout=self.remaining(self.options.total_timeout / 3),
                    ca_file=self.options.ca_file,
                )
                found = autoconfig_mod.parse(body, self.email, self.domain, stage)
            except (OSError, ValueError) as exc:
                if not isinstance(exc, autoconfig_mod.AutoconfigError):
                    exc = (
                        autoconfig_mod.document_error(exc, url)
                        if isinstance(exc, ValueError)
                        else autoconfig_mod.AutoconfigError(_oserror(exc))
                    )
                self.report(Event(stage, url, False, failure=exc.failure))
                continue
            self.autoconfig_oauth2 = self.autoconfig_oauth2 or ispdb.oauth2_from_xml(body)
            self.report(Event(stage, url, True, note=Note(Step.AUTOCONFIG, count=len(found))))
            return found
        return []

    def mx(self) -> list[Candidate]:
        try:
            hosts = mx_hosts(
                self.resolver, self.domain, self.remaining(self.options.total_timeout / 3)
            )
        except DNSError as exc:
            self.report(Event("mx", self.domain, False, failure=dns_failure(exc)))
            return []
        if not hosts:
            self.report(Event("mx", self.domain, False, note=Note(Step.MX_NONE)))
            return []
        provider = provider_domain(hosts[0])
        if provider == self.domain or in_domain(provider, self.domain):
            note = Note(Step.MX_SAME_DOMAIN, host=hosts[0])
            self.report(Event("mx", self.domain, False, note=note))
            return []
        note = Note(Step.MX_PROVIDER, host=hosts[0], name=provider)
        self.report(Event("mx", self.domain, True, note=note))
        found = self.autoconfig(provider, "mx")
        if not found and (entry := ispdb.lookup(provider)) is not None:
            self.mx_ispdb = entry
            note = Note(Step.ISPDB, name=entry.display_name)
            self.report(Event("mx", provider, True, note=note))
            found = entry.candidates(self.email)
        # Everything the MX path finds is outside the user's domain: confirm it.
        return [
            Candidate(c.protocol, c.host, c.port, c.security, "mx", c.order, True) for c in found
        ]

    # -- probing ---------------------------------------------------------------------

    def expand(self, candidates: list[Candidate]) -> list[Candidate]:
        """Add plain variants of STARTTLS candidates when plain is allowed; dedupe; keep
        the first MAX_PER_KIND of each protocol and security (candidates come best first)."""
        out: list[Candidate] = []
        seen = set()
        kinds: dict[tuple[str, str], int] = {}
        for c in candidates:
            c = self._map(c)
            kind = (c.protocol, c.security)
            if (c.protocol, c.host, c.port, c.security) in seen or kinds.get(kind, 0) >= (
                MAX_PER_KIND
            ):
                continue
            kinds[kind] = kinds.get(kind, 0) + 1
            variants = [c]
            if self.options.allow_plain and c.security == "starttls":
                variants.append(
                    Candidate(
                        c.protocol, c.host, c.port, "plain", c.source, c.order, c.outside_domain
                    )
                )
            for v in variants:
                key = (v.protocol, v.host, v.port, v.security)
                if key not in seen:
                    seen.add(key)
                    out.append(v)
        return out

    def probe_all(self, candidates: list[Candidate]) -> list[ProbeResult]:
        results: list[ProbeResult] = []
        futures: dict[Future, Candidate] = {}
        for c in candidates:
            if c.security == "plain" and not self.options.allow_plain:
                r = ProbeResult(c, False, "skipped: plain", skipped=True)
                self.report(Event("probe", _label(c), False, r))
                results.append(r)
                continue
            future = self.pool.submit(
                probe, c, self.resolver, timeout=self.remaining(), ca_file=self.options.ca_file
            )
            future.add_done_callback(self._probe_done)
            futures[future] = c
        # Wait for ALL of them (each has its own timeout): downgrade safety.
        done, _ = wait(futures, timeout=self.remaining(self.options.total_timeout) + 2)
        if len(done) < len(futures):
            self.past_deadline()
        for future, c in futures.items():
            if future in done:
                results.append(future.result())
            else:
                late = TimedOut(protocol=c.protocol, host=c.host)
                r = ProbeResult(c, False, plain_failure(late), failure=late)
                self.report(Event("probe", _label(c), False, r))
                results.append(r)
        self.read_pins([r for r in results if r.untrusted_issuer])
        return results

    def read_pins(self, results: list[ProbeResult]) -> None:
        """Apart from probing: for servers whose certificate no known authority vouches
        for, read the key in a handshake of its own (nothing is sent), for the hint."""
        futures = {
            self.pool.submit(read_pin, r, self.resolver, self.remaining()): r for r in results
        }
        done, _ = wait(futures, timeout=self.remaining(self.options.total_timeout) + 2)
        for future, r in futures.items():
            pin = future.result() if future in done else None
            note = Note(Step.PIN_READ, pin=pin) if pin else Note(Step.PIN_UNREADABLE)
            self.report(Event("pin", _label(r.candidate), bool(pin), note=note))

    def _probe_done(self, future: Future) -> None:
        r: ProbeResult = future.result()
        self.report(Event("probe", _label(r.candidate), r.ok, r))

    def rank_key(self, r: ProbeResult) -> tuple:
        c = r.candidate
        protocol_rank = {"imap": 0, "pop3": 1, "smtp": 0}[c.protocol]
        if self.options.prefer_pop3 and c.protocol != "smtp":
            protocol_rank = 1 - protocol_rank
        return (c.security == "plain", protocol_rank, SECURITY_RANK[c.security], c.order)

    def choose(self, results: list[ProbeResult], role: str) -> ProbeResult | None:
        working = [r for r in results if r.ok and r.candidate.role == role]
        if self.options.prefer_pop3 and role == "incoming":
            pop = [r for r in working if r.candidate.protocol == "pop3"]
            working = pop or working
        return min(working, key=self.rank_key) if working else None

    def judge(self, results: list[ProbeResult], chosen: ProbeResult | None, role: str) -> None:
        """Warn and ask for confirmation when a stronger option did not work."""
        if chosen is None:
            return
        c = chosen.candidate
        tried = [r for r in results if r.candidate.role == role and not r.skipped and not r.ok]
        stronger = [
            r for r in tried if SECURITY_RANK[r.candidate.security] < SECURITY_RANK[c.security]
        ]
        confirm = self.result.confirm
        if c.security == "plain":
            confirm.append(Confirm(ConfirmKind.PLAIN, role, c))
        elif stronger:
            confirm.append(Confirm(ConfirmKind.WEAKER, role, c, stronger=stronger[0]))
        if c.outside_domain and c.source != "ispdb":  # the shipped database is trusted
            confirm.append(Confirm(ConfirmKind.OUTSIDE, role, c, domain=self.domain))

    # -- the whole thing ---------------------------------------------------------------

    def run(self) -> Detection:
        try:
            result = self._run()
            self._warn_skipped()
            return result
        finally:
            with self.lock:
                self.closed = True
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.result.seconds = time.monotonic() - self.start

    def _run(self) -> Detection:
        res = self.result
        if not_an_address(self.email):
            res.error = NotFound(NotFoundReason.NOT_AN_ADDRESS, self.email, self.domain)
            return res
        sources = {
            "srv": self.pool.submit(self.srv),
            "autoconfig": self.pool.submit(self.autoconfig, self.domain, "autoconfig"),
            "mx": self.pool.submit(self.mx),
        }
        probes_by_source: dict[str, Future] = {}
        for name, future in sources.items():
            try:
                found = future.result(timeout=self.remaining(self.options.total_timeout))
            except TimeoutError:
                self.past_deadline()
                late = TimedOut(reason="lookup-timeout", protocol=name)
                self.report(Event(name, self.domain, False, failure=late))
                found = []
            except Exception as exc:  # a bug or an unforeseen library error: typed, kept
                self.report(Event(name, self.domain, False, failure=lookup_failure(exc, name)))
                found = []
            if found:
                probes_by_source[name] = self.pool.submit(self.probe_all, self.expand(found))
        for name in ("srv", "autoconfig", "mx"):
            if name in probes_by_source:
                self.pick(name, probes_by_source[name].result())
            if res.incoming is not None and res.outgoing is not None:
                break
        late = self.past_deadline()  # no new servers are tried once the time is up
        if (res.incoming is None or res.outgoing is None) and self.ispdb is not None and not late:
            note = Note(Step.ISPDB, name=self.ispdb.display_name)
            self.report(Event("ispdb", self.domain, True, note=note))
            self.pick("ispdb", self.probe_all(self.expand(self.ispdb.candidates(self.email))))
        missing = {role for role in ("incoming", "outgoing") if getattr(res, role) is None}
        if missing and not self.past_deadline():
            guesses = [c for c in guess_candidates(self.domain) if c.role in missing]
            self.pick("guess", self.probe_all(self.expand(guesses)))
        if self.ispdb is not None:
            self._unverified_from_ispdb()
        self._oauth2()
        if res.incoming is None or res.outgoing is None:
            res.error = self._not_found()
            return res
        if self.options.password is not None:
            if res.confirm:
                res.login_deferred = True  # no password before the user said yes
            else:
                self.verify()
        return res

    def _warn_skipped(self) -> None:
        if any(r.skipped for r in self.result.probes):
            self.result.warnings.append(Notice(NoticeKind.PLAIN_SKIPPED))

    def _unverified_from_ispdb(self) -> None:
        """No probe answered (offline, a firewall): the shipped database still names the
        provider's servers; give them, marked as not verified by a probe."""
        res = self.result
        for role in ("incoming", "outgoing"):
            if getattr(res, role) is not None:
                continue
            listed = [c for c in self.ispdb.candidates(self.email) if c.role == role]
            listed = [c for c in listed if c.security != "plain"]
            if self.options.prefer_pop3 and role == "incoming":
                listed = [c for c in listed if c.protocol == "pop3"] or listed
            if not listed:
                continue
            best = min(listed, key=lambda c: (c.protocol == "pop3", SECURITY_RANK[c.security]))
            setattr(
                res,
                role,
                ProbeResult(best, False, "unprobed: ISP database", verified=False),
            )
            res.source = res.source or "ispdb"
        if (res.incoming and not res.incoming.verified) or (
            res.outgoing and not res.outgoing.verified
        ):
            res.warnings.append(Notice(NoticeKind.ISPDB_UNPROBED, self.ispdb.display_name))

    def _oauth2(self) -> None:
        """Whether the provider signs in with OAuth 2.0 (required, or offered)."""
        res = self.result
        entry = self.ispdb or self.mx_ispdb
        chosen = [r for r in (res.incoming, res.outgoing) if r is not None and r.verified]
        only_oauth = bool(chosen) and all(
            r.auth_mechanisms and set(m.upper() for m in r.auth_mechanisms) <= OAUTH_MECHANISMS
            for r in chosen
        )
        offered = any(OAUTH_MECHANISMS & {m.upper() for m in r.auth_mechanisms} for r in chosen)
        listed = self.autoconfig_oauth2
        if entry is None and not offered and listed is None:
            return
        provider = (entry.oauth2 if entry else None) or listed
        res.oauth2_provider = provider
        res.oauth2 = {
            "required": only_oauth or bool(entry and entry.oauth2_only),
            "offered": offered or bool(entry and entry.oauth2_offered) or listed is not None,
            "issuer": provider.issuer if provider else None,
            "provider": entry.display_name if entry else (self.domain if listed else None),
        }
        if not (res.oauth2["required"] or res.oauth2["offered"]):
            res.oauth2 = None

    def pick(self, source: str, results: list[ProbeResult]) -> None:
        """Fill the roles still open from this source's working servers."""
        res = self.result
        for role in ("incoming", "outgoing"):
            if getattr(res, role) is not None:
                continue
            chosen = self.choose(results, role)
            if chosen is None:
                continue
            setattr(res, role, chosen)
            if role == "incoming" or res.source is None:
                res.source = source
            self.judge(results, chosen, role)

    def verify(self) -> None:
        res = self.result
        account = res.account("detect", username=self.options.username)
        res.logins = verify_account(
            account,
            self.options.password,
            resolver=self.resolver,
            timeout=self.remaining(self.options.timeout),
            ca_file=self.options.ca_file,
        )
        for check in res.logins:
            self.report(Event("login", check.role, check.ok, check=check))

    def _not_found(self) -> NotFound:
        """Why no usable pair was found, typed: the sources that named secure servers,
        the first hint that applies, and the secure probes' typed failures."""
        res = self.result
        secure = [r for r in res.ordered_probes() if r.candidate.security != "plain"]
        secure = [r for r in secure if not r.skipped]
        failures = tuple(r.failure for r in secure if isinstance(r.failure, MailError))
        found = res.incoming or res.outgoing
        if found is not None:
            reason, named, hint = NotFoundReason.ONE_ROLE, (), None
        else:
            reason = NotFoundReason.NOTHING
            named = tuple(sorted({r.candidate.source for r in secure} - {"guess"}))
            hint = None
            if any(r.skipped for r in res.probes):
                hint = NotFoundHint.PLAIN_SKIPPED
            elif any(r.pin for r in secure):
                hint = NotFoundHint.PINNABLE
            elif any(isinstance(f, SecurityFailure) for f in failures):
                hint = NotFoundHint.NOT_SECURED
        return NotFound(
            reason,
            self.email,
            self.domain,
            named_by=named,
            hint=hint,
            found=found.candidate if found is not None else None,
            failures=failures,
            guessed=any(r.candidate.source == "guess" for r in res.probes),
        )


def lookup_failure(exc: BaseException, source: str) -> MailError:
    """A look-up thread's unexpected exception, typed: a MailError as raised, a transport
    failure by the transport classifier, anything else the base MailError (its kind
    only; the exception is kept as the cause, its text is never made into a sentence)."""
    if isinstance(exc, MailError):
        return exc
    if isinstance(exc, DNSError):
        return dns_failure(exc)
    failure = classify_transport(exc, source)
    if failure is None:
        failure = MailError(protocol=source)
        failure.__cause__ = exc
    return failure


def _oserror(exc: OSError) -> MailError:
    """Anything else a look-up met, typed by the transport classifier."""
    return classify_transport(exc, "http") or Unreachable(str(exc), protocol="http")


OAUTH_MECHANISMS = {"XOAUTH2", "OAUTHBEARER"}


def _probe_order(r: ProbeResult) -> tuple:
    c = r.candidate
    source = SOURCES.index(c.source) if c.source in SOURCES else len(SOURCES)
    protocol = ("imap", "pop3", "smtp").index(c.protocol)
    return (source, protocol, c.order, SECURITY_RANK[c.security], c.host, c.port)


def _label(c: Candidate) -> str:
    return f"{c.protocol} {c.host}:{c.port} {c.security}"


def verify_detection(
    result: Detection,
    password: Secret,
    options: DetectOptions,
    progress: Progress | None = None,
) -> list[LoginCheck]:
    """Log in to the detected servers, once the user has accepted `result.confirm`
    (callers ask first: this is the only place a deferred login is sent)."""
    resolver = options.resolver or Resolver(options.nameserver, options.timeout)
    result.logins = verify_account(
        result.account("detect", username=options.username),
        password,
        resolver=resolver,
        timeout=options.timeout,
        ca_file=options.ca_file,
    )
    result.login_deferred = False
    if progress is not None:
        for check in result.logins:
            progress(Event("login", check.role, check.ok, check=check))
    return result.logins


def detect(
    email: str, options: DetectOptions | None = None, progress: Progress | None = None
) -> Detection:
    """Find, probe and rank servers for `email` (and verify the login if a password is given)."""
    return _Run(email.strip(), options or DetectOptions(), progress).run()
