#!/usr/bin/env python3
"""Independent re-implementation of SPEC.md (dualdraw-spec/4) for its §8 known-answer vectors.

Written from the text of SPEC.md alone, with the Python 3.11+ standard library only (hashlib,
tomllib, decimal, csv); ChaCha20 is the pure-Python RFC 8439 block function below, checked
against RFC 8439 §2.3.2 and Appendix A.1 before use.

    python3 tests/spec_vectors.py            # print every vector
    python3 tests/spec_vectors.py --check    # also require each value to appear in SPEC.md
    python3 tests/spec_vectors.py --write DIR  # also write the §8.6 files and the §10.6 proof

The Rust side is tests/spec_vectors.rs, which asserts the library gives the hex written in
SPEC.md. The two are independent: this file does not import or run any Rust code.
"""

import base64
import csv
import datetime
import decimal
import hashlib
import io
import json
import os
import sys
import tomllib

# ---------------------------------------------------------------------------------------------
# §1 notation


def sha256(b: bytes) -> bytes:
    return hashlib.sha256(b).digest()


def u32be(n: int) -> bytes:
    return n.to_bytes(4, "big")


def str_(s: str) -> bytes:
    """str(x) = u32be(len(utf8(x))) || utf8(x)"""
    b = s.encode("utf-8")
    return u32be(len(b)) + b


def list_(items) -> bytes:
    """list(xs) = u32be(count) || str(x1) || ... || str(xn)"""
    return u32be(len(items)) + b"".join(str_(x) for x in items)


def hx(b: bytes) -> str:
    return b.hex()


# Unicode White_Space (what SPEC.md §3 trims): U+0009–000D, U+0020, U+0085, U+00A0, U+1680,
# U+2000–200A, U+2028, U+2029, U+202F, U+205F, U+3000. Not Python's str.strip() set, which also
# removes U+001C–001F.
WHITE_SPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680"
    + "".join(chr(c) for c in range(0x2000, 0x200B))
    + "\u2028\u2029\u202f\u205f\u3000"
)


def trim(s: str) -> str:
    return s.strip(WHITE_SPACE)


def is_cc(ch: str) -> bool:
    """Unicode general category Cc: U+0000–001F and U+007F–009F."""
    o = ord(ch)
    return o < 0x20 or 0x7F <= o <= 0x9F


# ---------------------------------------------------------------------------------------------
# §3 directories

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def uscc_check(code: str):
    """None if malformed (an error), else True/False for the check character."""
    if len(code) != 18 or any(c not in CHARSET for c in code):
        return None
    s = sum(CHARSET.index(c) * w for c, w in zip(code[:17], WEIGHTS))
    return code[17] == CHARSET[(31 - s % 31) % 31], CHARSET[(31 - s % 31) % 31]


def parse_date(s: str) -> datetime.date:
    if s.endswith("日"):
        parts = s[:-1].replace("月", "年").split("年")
    elif "-" in s:
        parts = s.split("-")
    else:
        parts = s.split("/")
    if len(parts) != 3:
        raise ValueError(s)
    y, m, d = parts
    ok = lambda p, n: 0 < len(p) <= n and all("0" <= c <= "9" for c in p)  # noqa: E731
    if not (ok(y, 4) and len(y) == 4 and ok(m, 2) and ok(d, 2)):
        raise ValueError(s)
    return datetime.date(int(y), int(m), int(d))


def parse_list(s: str):
    for sep in "；、,":
        s = s.replace(sep, ";")
    return sorted({trim(x) for x in s.split(";") if trim(x)}, key=lambda x: x.encode())


def parse_class(s: str):
    t = s.rstrip("级类")
    t = t.upper() if t.isascii() else t
    if t == "":
        return ""
    if t in ("A", "B", "C", "D"):
        return t
    raise ValueError(s)


ENT_STATUS = {
    "active": "active", "存续": "active", "在业": "active", "开业": "active", "正常": "active",
    "abnormal": "abnormal", "经营异常": "abnormal", "异常": "abnormal", "严重违法失信": "abnormal",
    "closed": "closed", "注销": "closed", "吊销": "closed", "撤销": "closed", "停业": "closed",
}
OFF_STATUS = {
    "active": "active", "在岗": "active", "在职": "active", "正常": "active",
    "leave": "leave", "休假": "leave", "请假": "leave", "离岗": "leave", "借调": "leave",
    "left": "left", "离职": "left", "调离": "left", "退休": "left",
}
BOOL = {"true": "1", "yes": "1", "y": "1", "1": "1", "是": "1",
        "false": "0", "no": "0", "n": "0", "0": "0", "否": "0", "": "0"}

TARGET_COLS = {
    "id": ["统一社会信用代码"], "name": ["企业名称"], "region": ["行政区划代码", "所属区域"],
    "domains": ["监管领域", "行业"], "credit_class": ["信用等级", "信用风险分类"],
    "status": ["登记状态"], "last_inspected": ["上次检查日期"],
}
OFFICER_COLS = {
    "id": ["人员编号", "工号"], "name": ["姓名"], "department": ["所属部门"], "region": ["片区"],
    "cert_no": ["执法证号"], "cert_expires": ["执法证有效期至"], "domains": ["执法领域"],
    "expert": ["是否专家"], "status": ["人员状态"], "conflicts": ["回避企业"],
}


def read_csv(text: str, cols):
    if text.startswith("\ufeff"):
        text = text[1:]
    rows = [r for r in csv.reader(io.StringIO(text, newline="")) if r]
    header = [trim(trim(h).lstrip("\ufeff")) for h in rows[0]]
    idx = {}
    for i, h in enumerate(header):
        for en, zh in cols.items():
            if (h.isascii() and h.lower() == en) or h in zh:
                assert en not in idx, "duplicate column"
                idx[en] = i
    out = []
    for r in rows[1:]:
        assert len(r) == len(header)
        out.append({en: trim(r[idx[en]]) if en in idx else "" for en in cols})
    return out


def text(v):
    assert v and not any(is_cc(c) for c in v)
    return v


def read_targets(t: str):
    recs, warnings = [], []
    for r in read_csv(t, TARGET_COLS):
        chk = uscc_check(r["id"])
        assert chk is not None
        if not chk[0]:
            warnings.append({
                "event": "warning", "code": "uscc-check", "source": "targets", "id": r["id"],
                "message": f'check character is "{r["id"][17]}" but GB 32100-2015 gives '
                           f"'{chk[1]}'; kept as an early pilot code",
            })
        assert len(r["region"]) == 6 and r["region"].isdigit()
        recs.append({
            "id": r["id"], "name": text(r["name"]), "region": r["region"],
            "domains": parse_list(r["domains"]), "credit_class": parse_class(r["credit_class"]),
            "status": ENT_STATUS[r["status"].lower() if r["status"].isascii() else r["status"]],
            "last_inspected": parse_date(r["last_inspected"]) if r["last_inspected"] else None,
        })
    recs.sort(key=lambda e: e["id"].encode())
    warnings.sort(key=lambda w: w["id"].encode())
    return recs, warnings


def read_officers(t: str):
    recs = []
    for r in read_csv(t, OFFICER_COLS):
        recs.append({
            "id": text(r["id"]), "name": text(r["name"]), "department": text(r["department"]),
            "region": text(r["region"]), "cert_no": text(r["cert_no"]),
            "cert_expires": parse_date(r["cert_expires"]), "domains": parse_list(r["domains"]),
            "expert": BOOL[r["expert"].lower() if r["expert"].isascii() else r["expert"]],
            "status": OFF_STATUS[r["status"].lower() if r["status"].isascii() else r["status"]],
            "conflicts": parse_list(r["conflicts"]),
        })
    recs.sort(key=lambda o: o["id"].encode())
    return recs


def iso(d):
    return "" if d is None else d.isoformat()


def enterprise_bytes(e) -> bytes:
    return (str_("dualdraw/v1/enterprise") + str_(e["id"]) + str_(e["name"]) + str_(e["region"])
            + list_(e["domains"]) + str_(e["credit_class"]) + str_(e["status"])
            + str_(iso(e["last_inspected"])))


def officer_bytes(o) -> bytes:
    return (str_("dualdraw/v1/officer") + str_(o["id"]) + str_(o["name"]) + str_(o["department"])
            + str_(o["region"]) + str_(o["cert_no"]) + str_(iso(o["cert_expires"]))
            + list_(o["domains"]) + str_(o["expert"]) + str_(o["status"])
            + list_(o["conflicts"]))


def supplied_targets(ts):
    """§3.3: the targets' optional fields some record fills, sorted."""
    return sorted(f for f, has in [("credit_class", lambda e: e["credit_class"] != ""),
                                   ("last_inspected", lambda e: e["last_inspected"] is not None
                                    and e["last_inspected"] != "")]
                  if any(has(e) for e in ts))


def supplied_officers(os_):
    """§3.3: the officers' optional fields some record fills, sorted."""
    return sorted(f for f, has in [("conflicts", lambda o: bool(o["conflicts"])),
                                   ("expert", lambda o: o["expert"] == "1")]
                  if any(has(o) for o in os_))


def leaf_hash(b: bytes) -> bytes:
    return sha256(b"\x00" + b)


def node_hash(left: bytes, right: bytes) -> bytes:
    return sha256(b"\x01" + left + right)


def audit_path(m, leaves):
    """PATH(m, D[n]) of RFC 9162 §2.1.3.1, leaf level first."""
    n = len(leaves)
    if n <= 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return audit_path(m, leaves[:k]) + [mth(leaves[k:])]
    return audit_path(m - k, leaves[k:]) + [mth(leaves[:k])]


def subproof(m, leaves, b):
    """SUBPROOF(m, D[n], b) of RFC 9162 §2.1.4.1."""
    n = len(leaves)
    if m == n:
        return [] if b else [mth(leaves)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return subproof(m, leaves[:k], b) + [mth(leaves[k:])]
    return subproof(m - k, leaves[k:], False) + [mth(leaves[:k])]


def checkpoint(plan_id, plan_digest, lines):
    """The checkpoint text of SPEC.md §6.3."""
    root = mth([l.encode("utf-8") for l in lines])
    return (f"dualdraw/{plan_id}/{hx(plan_digest)[:16]}\n{len(lines)}\n"
            f"{base64.b64encode(root).decode()}\n")


def mth(leaves) -> bytes:
    """RFC 6962 §2.1 / RFC 9162 §2.1.1."""
    n = len(leaves)
    if n == 0:
        return sha256(b"")
    if n == 1:
        return leaf_hash(leaves[0])
    k = 1
    while k * 2 < n:
        k *= 2
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


# ---------------------------------------------------------------------------------------------
# §5 randomness

TASK_KEY_TAG = "dualdraw/v1/task-key"
TEAM_KEY_TAG = "dualdraw/v1/team-key"


def task_key_preimage(seed, plan_id, task_id) -> bytes:
    return str_(TASK_KEY_TAG) + str_(seed) + str_(plan_id) + str_(task_id)


def task_key(seed, plan_id, task_id) -> bytes:
    return sha256(task_key_preimage(seed, plan_id, task_id))


def team_key(tk: bytes, enterprise_id: str) -> bytes:
    return sha256(str_(TEAM_KEY_TAG) + tk + str_(enterprise_id))


def ticket(tk: bytes, id_: str) -> bytes:
    return sha256(hx(tk).encode("ascii") + b":" + id_.encode("utf-8"))


M32 = 0xFFFFFFFF


def _rotl(x, n):
    return ((x << n) | (x >> (32 - n))) & M32


def _qr(s, a, b, c, d):
    s[a] = (s[a] + s[b]) & M32; s[d] = _rotl(s[d] ^ s[a], 16)  # noqa: E702
    s[c] = (s[c] + s[d]) & M32; s[b] = _rotl(s[b] ^ s[c], 12)  # noqa: E702
    s[a] = (s[a] + s[b]) & M32; s[d] = _rotl(s[d] ^ s[a], 8)  # noqa: E702
    s[c] = (s[c] + s[d]) & M32; s[b] = _rotl(s[b] ^ s[c], 7)  # noqa: E702


def chacha20_block(key: bytes, counter: int, nonce: bytes) -> bytes:
    """RFC 8439 §2.3: 32-byte key, 32-bit block counter, 96-bit nonce -> 64 keystream bytes."""
    const = [0x61707865, 0x3320646E, 0x79622D32, 0x6B206574]
    k = [int.from_bytes(key[i:i + 4], "little") for i in range(0, 32, 4)]
    n = [int.from_bytes(nonce[i:i + 4], "little") for i in range(0, 12, 4)]
    init = const + k + [counter & M32] + n
    s = list(init)
    for _ in range(10):
        _qr(s, 0, 4, 8, 12); _qr(s, 1, 5, 9, 13); _qr(s, 2, 6, 10, 14); _qr(s, 3, 7, 11, 15)  # noqa: E702
        _qr(s, 0, 5, 10, 15); _qr(s, 1, 6, 11, 12); _qr(s, 2, 7, 8, 13); _qr(s, 3, 4, 9, 14)  # noqa: E702
    return b"".join(((x + y) & M32).to_bytes(4, "little") for x, y in zip(s, init))


def check_chacha20():
    # RFC 8439 §2.3.2: key 00..1f, nonce 00:00:00:09:00:00:00:4a:00:00:00:00, counter 1.
    block = chacha20_block(bytes(range(32)), 1, bytes.fromhex("000000090000004a00000000"))
    assert block == bytes.fromhex(
        "10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e"
        "d2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e"), block.hex()
    # RFC 8439 Appendix A.1, test vector #1: all-zero key and nonce, counter 0.
    assert chacha20_block(bytes(32), 0, bytes(12)) == bytes.fromhex(
        "76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7"
        "da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586")


class Stream:
    """§5.3: ChaCha20 keystream, key = team key, nonce zero, counter from 0; 8 bytes LE per word."""

    def __init__(self, key: bytes):
        self.key, self.counter, self.buf = key, 0, b""
        self.log = []  # (n, word, accepted) for every word drawn by below()

    def next_u64(self) -> int:
        if len(self.buf) < 8:
            self.buf += chacha20_block(self.key, self.counter, bytes(12))
            self.counter += 1
        w, self.buf = int.from_bytes(self.buf[:8], "little"), self.buf[8:]
        return w

    def below(self, n: int) -> int:
        """§5.4"""
        if n <= 1:
            self.log.append((n, None, None))
            return 0
        t = (1 << 64) % n
        while True:
            x = self.next_u64()
            self.log.append((n, x, x >= t))
            if x >= t:
                return x % n

    def fisher_yates_prefix(self, items, k):
        for i in range(min(k, len(items))):
            j = i + self.below(len(items) - i)
            items[i], items[j] = items[j], items[i]


# ---------------------------------------------------------------------------------------------
# §4 plan and pool, §5.5 team draw


def parse_ratio(s: str) -> decimal.Decimal:
    s = trim(s)
    scale = 1
    if s.endswith("%"):
        s, scale = trim(s[:-1]), 100
    assert s and all(c in "0123456789." for c in s)
    r = decimal.Decimal(s) / scale
    assert 0 < r <= 1
    return r


def ratio_str(r: decimal.Decimal) -> str:
    v = (r * 100).normalize()
    return f"{v:f}%"


def ratio_of(r: decimal.Decimal, pool: int) -> int:
    return min(int((r * pool).to_integral_value(rounding=decimal.ROUND_CEILING)), pool)


def region_matches(f: str, region: str) -> bool:
    if f.endswith("0000"):
        return region.startswith(f[:2])
    if f.endswith("00"):
        return region.startswith(f[:4])
    return f == region


def in_scope(scope, e) -> bool:
    regions = scope.get("regions", [])
    domains = scope.get("domains", [])
    statuses = [ENT_STATUS[s] for s in scope.get("statuses", [])]
    return ((not regions or any(region_matches(r, e["region"]) for r in regions))
            and (not domains or any(d in e["domains"] for d in domains))
            and (e["status"] in statuses if statuses else e["status"] != "closed"))


def eligible_officer(o, e, domain, date, expert: bool) -> bool:
    if o["status"] != "active":
        return False
    if expert and o["expert"] != "1":
        return False
    if not expert and o["cert_expires"] < date:
        return False
    return domain in o["domains"] and e["id"] not in o["conflicts"]


def team_draw(tkey, pool, xs, size, experts, trace=None):
    """§5.5 steps 3-7 on the officer pool P (id order) and the expert pool X (id order), with the
    stream of §5.3 keyed `tkey`. Returns (officers, experts, |P|, |X'|, P[consumed..] in its
    final Fisher-Yates state, consumed, skipped candidates)."""
    pool, xs = list(pool), list(xs)
    assert len(pool) >= size and len(xs) >= experts and len(set(pool) | set(xs)) >= size + experts
    s = Stream(tkey)
    left, team, skipped, i = len(xs), [], [], 0
    while len(team) < size:
        j = i + s.below(len(pool) - i)
        pool[i], pool[j] = pool[j], pool[i]
        c, i = pool[i], i + 1
        if c in xs and left <= experts:
            skipped.append(c)  # kept for the expert places
            continue
        team.append(c)
        if c in xs:
            left -= 1
    xprime = [x for x in xs if x not in team]
    n_x = len(xprime)
    if experts:
        s.fisher_yates_prefix(xprime, experts)
    if trace is not None:
        trace.extend(s.log)
    return team, xprime[:experts], len(pool), n_x, pool[i:], i, skipped


def draw_team(tk, e, officers, domain, date, size, experts, trace=None):
    pool = [o["id"] for o in officers if eligible_officer(o, e, domain, date, False)]
    xs = [o["id"] for o in officers if eligible_officer(o, e, domain, date, True)]
    team, xp, n_off, n_x, _, _, _ = team_draw(team_key(tk, e["id"]), pool, xs, size, experts,
                                              trace)
    return team, xp, n_off, n_x


REPLACEMENT_KEY_TAG = "dualdraw/v1/replacement-key"


def replacement_order(tkey, rest, experts):
    """§9.3: full Fisher-Yates of P[consumed..] with the stream keyed
    SHA-256(str(tag) || team key); the team's experts dropped."""
    rkey = sha256(str_(REPLACEMENT_KEY_TAG) + tkey)
    s = Stream(rkey)
    rest = list(rest)
    s.fisher_yates_prefix(rest, len(rest))
    return rkey, [o for o in rest if o not in experts], s.log


# ---------------------------------------------------------------------------------------------
# §6 log


def jstr(s: str) -> str:
    out = ['"']
    for c in s:
        if c == '"':
            out.append('\\"')
        elif c == "\\":
            out.append("\\\\")
        elif c == "\n":
            out.append("\\n")
        elif c == "\r":
            out.append("\\r")
        elif c == "\t":
            out.append("\\t")
        elif c == "\b":
            out.append("\\b")
        elif c == "\f":
            out.append("\\f")
        elif ord(c) < 0x20:
            out.append("\\u%04x" % ord(c))
        else:
            out.append(c)
    out.append('"')
    return "".join(out)


def canon(v) -> str:
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return jstr(v)
    if isinstance(v, list):
        return "[" + ",".join(canon(x) for x in v) + "]"
    if isinstance(v, dict):
        keys = sorted(v, key=lambda k: k.encode("utf-8"))
        return "{" + ",".join(jstr(k) + ":" + canon(v[k]) for k in keys) + "}"
    raise TypeError(v)


SPEC_VERSION = "dualdraw-spec/4"


def header_tasks(plan):
    """§6.2 the header's `tasks`: per task its id, scope lists (regions and domains verbatim,
    statuses canonical in plan order, [] when not given) and exclude_inspected_within_days."""
    out = []
    for task in plan["task"]:
        scope = task.get("scope", {})
        out.append({"id": task["id"],
                    "scope": {"regions": list(scope.get("regions", [])),
                              "domains": list(scope.get("domains", [])),
                              "statuses": [ENT_STATUS[x.lower() if x.isascii() else x]
                                           for x in scope.get("statuses", [])]},
                    "exclude_inspected_within_days": task.get("exclude_inspected_within_days")})
    return out


NOTICE = ("the seed was supplied by the operator (rehearsal/test mode); this draw alone does not "
          "prove the seed was not chosen to steer the result")


def run_log(plan_bytes: bytes, targets_csv: str, officers_csv: str, seed: str, crate_version: str):
    plan = tomllib.loads(plan_bytes.decode("utf-8").lstrip("\ufeff"))
    date = parse_date(plan["inspection_date"])
    targets, warnings = read_targets(targets_csv)
    officers = read_officers(officers_csv)
    td = mth([enterprise_bytes(e) for e in targets])
    od = mth([officer_bytes(o) for o in officers])
    ev = [{
        "event": "header", "spec": SPEC_VERSION, "crate_version": crate_version,
        "mode": "operator-seed", "notice": NOTICE,
        "plan": {"id": plan["id"], "title": plan["title"], "digest": hx(sha256(plan_bytes))},
        "inspection_date": date.isoformat(), "seed": seed,
        "directories": {"targets": {"head": hx(td), "count": len(targets),
                                    "supplied": supplied_targets(targets)},
                        "officers": {"head": hx(od), "count": len(officers),
                                     "supplied": supplied_officers(officers)}},
        "tasks": header_tasks(plan),
    }]
    ev += warnings
    n_targets = n_teams = 0
    for task in plan["task"]:
        scope = task.get("scope", {})
        days = task.get("exclude_inspected_within_days")
        members, excluded = [], 0
        for e in targets:
            if not in_scope(scope, e):
                continue
            if days is not None and e["last_inspected"] is not None \
                    and (date - e["last_inspected"]).days < days:
                excluded += 1
                continue
            members.append(e)
        sample = task["sample"]
        assert "by_class" not in sample  # the KAT uses one stratum, `all`
        if "count" in sample:
            requested, sample_json = sample["count"], {"count": sample["count"]}
        else:
            r = parse_ratio(sample["ratio"])
            requested, sample_json = ratio_of(r, len(members)), {"ratio": ratio_str(r)}
        k = task_key(seed, plan["id"], task["id"])
        entries = sorted((ticket(k, e["id"]), e["id"].encode(), e) for e in members)
        winners = entries[:requested]
        team_rule = {"size": task["team"]["size"], "experts": task["team"].get("experts", 0)}
        ev.append({
            "event": "task", "task": task["id"], "domain": task["domain"],
            "directed": bool(scope.get("regions") or scope.get("domains") or scope.get("statuses")),
            "sample": sample_json, "shortfall_rule": task.get("shortfall", "error"),
            "team_rule": team_rule, "exclude_inspected_within_days": days,
            "excluded_recent": excluded, "key": hx(k),
            "strata": [{"stratum": "all", "eligible": len(members), "requested": requested,
                        "drawn": len(winners), "shortfall": requested - len(winners),
                        "cutoff": hx(winners[-1][0]) if winners else None}],
        })
        for rank, (t, _, e) in enumerate(winners, 1):
            ev.append({"event": "target", "task": task["id"], "stratum": "all", "rank": rank,
                       "id": e["id"], "ticket": hx(t)})
        for _, _, e in winners:
            offs, xs, n_off, n_x = draw_team(k, e, officers, task["domain"], date,
                                             team_rule["size"], team_rule["experts"])
            ev.append({"event": "team", "task": task["id"], "enterprise": e["id"],
                       "leader": offs[0], "officers": offs, "experts": xs,
                       "eligible_officers": n_off, "eligible_experts": n_x})
        n_targets += len(winners)
        n_teams += len(winners)
    ev.append({"event": "footer", "tasks": len(plan["task"]), "targets": n_targets,
               "teams": n_teams, "warnings": len(warnings)})
    lines, prev = [], "0" * 64
    for seq, e in enumerate(ev):
        e = dict(e, prev=prev, seq=seq)
        line = canon(e)
        lines.append(line)
        prev = hx(leaf_hash(line.encode("utf-8")))
    return lines, hx(mth([l.encode("utf-8") for l in lines])), targets


# ---------------------------------------------------------------------------------------------
# §10 per-enterprise proofs (dualdraw-proof/4)

PROOF_FORMAT = "dualdraw-proof/4"
PROOF_COVERS = "inclusion/2"
# §10.2 residuals: members the checker derives (besides seq and, when derivable, prev) and the
# hash members written in base64 (besides prev and a task's stratum cutoffs), by event.
RESIDUAL_REMOVED = {"header": ["spec", "notice"], "reveal": [],
                    "task": ["task", "key", "directed", "exclude_inspected_within_days"],
                    "target": ["task", "id", "ticket"], "team": ["task", "enterprise", "leader"],
                    "replacement": ["enterprise"]}
RESIDUAL_HASHES = {"header": [["plan", "digest"], ["directories", "officers", "head"],
                              ["directories", "targets", "head"], ["commitment"]],
                   "reveal": [["secret"], ["seed"]], "replacement": [["reason", "commitment"]]}


def b64_of_hex(h: str) -> str:
    return base64.b64encode(bytes.fromhex(h)).decode()


def residual(line: str, seq: int, prev_carried: bool):
    """§10.2: the line's event object without the members the checker derives, hashes base64."""
    obj = json.loads(line)
    ev = obj["event"]
    del obj["seq"]
    if seq == 0 or prev_carried:
        del obj["prev"]
    else:
        obj["prev"] = b64_of_hex(obj["prev"])
    for k in RESIDUAL_REMOVED[ev]:
        obj.pop(k, None)
    for path in RESIDUAL_HASHES.get(ev, []):
        holder = obj
        for k in path[:-1]:
            holder = holder.get(k, {}) if isinstance(holder, dict) else {}
        if isinstance(holder, dict) and isinstance(holder.get(path[-1]), str):
            holder[path[-1]] = b64_of_hex(holder[path[-1]])
    if ev == "task":
        for st in obj["strata"]:
            if st["cutoff"] is not None:
                st["cutoff"] = b64_of_hex(st["cutoff"])
    return obj


def mpath(idx, leaves):
    """MPATH(S, D[n]) of SPEC.md §10.2, S given as sorted indices into `leaves`."""
    n = len(leaves)
    if n <= 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    left = [i for i in idx if i < k]
    right = [i - k for i in idx if i >= k]
    if not right:
        return mpath(left, leaves[:k]) + [mth(leaves[k:])]
    if not left:
        return mpath(right, leaves[k:]) + [mth(leaves[:k])]
    return mpath(left, leaves[:k]) + mpath(right, leaves[k:])


def ordered(v, sort: bool) -> str:
    """serde_json::to_string of a value: members in the order given (sorted in a residual)."""
    if isinstance(v, dict):
        keys = sorted(v, key=lambda k: k.encode("utf-8")) if sort else list(v)
        return "{" + ",".join(jstr(k) + ":" + ordered(v[k], sort) for k in keys) + "}"
    if isinstance(v, list):
        return "[" + ",".join(ordered(x, sort) for x in v) + "]"
    return canon(v)


def pool_of(task, e, date) -> bool:
    """§4.3 from the header's `tasks` element: is the enterprise eligible?"""
    scope = {k: v for k, v in task["scope"].items() if v}
    if not in_scope(scope, e):
        return False
    n = task["exclude_inspected_within_days"]
    return not (n is not None and e["last_inspected"] is not None
                and (date - e["last_inspected"]).days < n)


def prove(lines, targets, eid: str, checkpoint_text: str) -> str:
    """The dualdraw-proof/4 file (without its final LF) for enterprise `eid` (§10.2)."""
    objs = [json.loads(l) for l in lines]
    header = objs[0]
    e = next(t for t in targets if t["id"] == eid)
    idx = [t["id"] for t in targets].index(eid)
    date = parse_date(header["inspection_date"])
    eligible = {t["id"] for t in header["tasks"] if pool_of(t, e, date)}
    seqs = [0] + ([1] if header["mode"] == "commit-reveal" else [])
    current, drawn = None, set()
    for o in objs:
        ev = o["event"]
        if ev == "task":
            current = o["task"]
            if current in eligible:
                seqs.append(o["seq"])
        elif ev == "target" and o["id"] == eid:
            seqs.append(o["seq"])
            drawn.add(current)
        elif ev == "team" and o["enterprise"] == eid:
            seqs.append(o["seq"])
        elif ev == "replacement" and o["enterprise"] == eid and o["task"] in drawn:
            seqs.append(o["seq"])
    seqs.sort()
    blines = [l.encode("utf-8") for l in lines]
    records = [enterprise_bytes(t) for t in targets]
    rec = {"id": e["id"], "name": e["name"], "region": e["region"], "domains": e["domains"],
           "credit_class": e["credit_class"], "status": e["status"],
           "last_inspected": iso(e["last_inspected"])}
    head = ordered({"format": PROOF_FORMAT, "checkpoint": checkpoint_text,
                    "covers": PROOF_COVERS, "record": rec, "leaf_index": idx,
                    "record_path": base64.b64encode(b"".join(audit_path(idx, records))).decode()},
                   False)
    body = ",".join('{"seq":%d,"line":%s}' % (s, ordered(residual(lines[s], s, s - 1 in seqs),
                                                          True)) for s in seqs)
    lp = base64.b64encode(b"".join(mpath(seqs, blines))).decode()
    return head[:-1] + ',"lines":[' + body + '],"lines_proof":' + jstr(lp) + "}"


# ---------------------------------------------------------------------------------------------
# §8 inputs (copied verbatim from SPEC.md §8)

SEED = "2020-10-15 rehearsal"
PLAN_ID = "TJ-GXJ-2020-SSJ"
TASK_ID = "radio"
IDS = ["9144030071526726XG", "91120116MA05JKLM8J", "91120116MA05JKLM8C"]
TEAM_ENTERPRISE = "91120116MA05JKLM8J"
TEAM_OFFICERS = [f"TJGX000{i}" for i in range(1, 8)]
TEAM_EXPERTS = ["EX001", "EX002", "EX003", "TJGX0003"]

PLAN_TOML = """\
# SPEC.md §8.6 known-answer plan
id = "TJ-GXJ-2020-SSJ"
title = "天津市工信局2020年度\\"双随机、一公开\\"抽查（规范示例）"
inspection_date = "2020-10-20"
targets = "targets.csv"
officers = "officers.csv"

[[task]]
id = "radio"
domain = "无线电"
item = { name = "无线电台（站）设置、使用情况检查", basis = "《中华人民共和国无线电管理条例》" }
scope = { domains = ["无线电"] }
sample = { ratio = "50%" }
exclude_inspected_within_days = 180
team = { size = 2, experts = 1 }
"""

TARGETS_CSV = """\
统一社会信用代码,企业名称,行政区划代码,监管领域,信用等级,登记状态,上次检查日期
9144030071526726XG,深圳市示例通信有限公司,440300,无线电,A,存续,
91120116MA05JKLM8J,天津滨海示例电子有限公司,120116,电力；无线电,b级,存续,2019/5/12
91120116MA05JKLM8C,天津市试点无线电器材厂,120116,无线电,,在业,2020年3月1日
"""

OFFICERS_CSV = """\
人员编号,姓名,所属部门,片区,执法证号,执法证有效期至,执法领域,是否专家,人员状态,回避企业
TJGX0001,张伟,无线电管理处,120116,津120100200001,2022-12-31,无线电,否,在岗,
TJGX0002,王芳,无线电管理处,120101,津120100200002,2021/6/30,无线电;电力,否,在岗,91120116MA05JKLM8J
TJGX0003,李娜,无线电管理处,120103,津120100200003,2023年1月1日,无线电,否,在岗,
ZJ0001,刘洋,技术专家组,120101,无,2019-12-31,无线电,是,在岗,
"""

CRATE_VERSION = "0.1.0"

# §8.7: a certified officer who is also the only expert.
SKIP_OFFICERS_CSV = """\
id,name,department,region,cert_no,cert_expires,domains,expert,status
SK1,officer 1,radio,120101,C1,2022-12-31,无线电,0,active
SK2,officer 2,radio,120101,C2,2022-12-31,无线电,1,active
SK3,officer 3,radio,120101,C3,2022-12-31,无线电,0,active
SK4,officer 4,radio,120101,C4,2022-12-31,无线电,0,active
"""

# §8.8
COMMIT_ENTROPY_SOURCE = "dice thrown at the public ceremony on 2020-10-15"
COMMIT_ENTROPY = "3 1 6 6 2 5"


def main():
    check_chacha20()
    out = []  # (label, value) pairs; every value must appear in SPEC.md with --check

    def put(label, value):
        out.append((label, value))
        print(f"{label}: {value}")

    print("== §8.1 task key")
    pre = task_key_preimage(SEED, PLAN_ID, TASK_ID)
    k = sha256(pre)
    put("preimage", hx(pre))
    put("K", hx(k))

    print("== §8.2 tickets")
    for i in IDS:
        put(f"ticket {i}", hx(ticket(k, i)))
    order = sorted(IDS, key=lambda i: (ticket(k, i), i.encode()))
    put("bottom-k order", ", ".join(order))

    print("== §8.3 team draw")
    tk = team_key(k, TEAM_ENTERPRISE)
    put("team key", hx(tk))
    s = Stream(tk)
    for n in range(4):
        put(f"word {n}", f"{s.next_u64():016x}")
    trace = []
    team, xs83, _, _, rest83, consumed83, skipped = team_draw(tk, TEAM_OFFICERS, TEAM_EXPERTS,
                                                              2, 1, trace)
    assert not skipped and consumed83 == 2
    for n, w, acc in trace:
        put(f"below({n})", f"word {w:016x} t={(1 << 64) % n} accepted={acc} value={w % n}")
    put("officers", ", ".join(team))
    put("experts", ", ".join(xs83))

    print("== §8.4 rejection")
    n = (1 << 63) + 1
    t = (1 << 64) % n
    put("t", f"{t:016x}")
    i = 0
    while True:
        st = Stream(sha256(f"kat-{i}".encode()))
        if st.next_u64() < t:
            break
        i += 1
    key = sha256(f"kat-{i}".encode())
    put("label", f"kat-{i}")
    put("key", hx(key))
    st = Stream(key)
    v = st.below(n)
    for _, w, acc in st.log:
        put("word", f"{w:016x} {'accepted' if acc else 'rejected'}")
    put("below", f"{v:016x}")

    print("== §8.5 merkle")
    lines, head, targets = run_log(PLAN_TOML.encode(), TARGETS_CSV, OFFICERS_CSV, SEED,
                                   CRATE_VERSION)
    leaves = [enterprise_bytes(e) for e in targets]
    for e, b in zip(targets, leaves):
        put(f"record {e['id']}", hx(b))
        put(f"leaf {e['id']}", hx(leaf_hash(b)))
    put("node(0,1)", hx(node_hash(leaf_hash(leaves[0]), leaf_hash(leaves[1]))))
    put("targets head", hx(mth(leaves)))
    put("officers head", hx(mth([officer_bytes(o) for o in read_officers(OFFICERS_CSV)])))
    put("plan digest", hx(sha256(PLAN_TOML.encode())))

    print("== §8.6 log")
    officers = read_officers(OFFICERS_CSV)
    date = datetime.date(2020, 10, 20)
    for e in targets:
        if e["id"] not in lines[3] + lines[4]:
            continue  # only the two drawn enterprises have teams
        trace = []
        offs, xs, _, _ = draw_team(k, e, officers, "无线电", date, 2, 1, trace)
        put(f"team key {e['id']}", hx(team_key(k, e["id"])))
        for n, w, acc in trace:
            if w is not None:
                put(f"below({n}) {e['id']}", f"word {w:016x} t={(1 << 64) % n} value={w % n}")
        put(f"team {e['id']}", f"officers {', '.join(offs)}; experts {', '.join(xs)}")
    for n, line in enumerate(lines):
        put(f"line {n}", line)
    put("head", head)
    cp = checkpoint(PLAN_ID, sha256(PLAN_TOML.encode()), lines)
    put("checkpoint", cp.replace("\n", " / "))
    for n, line in enumerate(lines):
        put(f"leaf hash line {n}", hx(leaf_hash(line.encode())))
    blines = [l.encode() for l in lines]
    put("audit path line 4", ", ".join(hx(h) for h in audit_path(4, blines)))
    for m in (1, 3):
        put(f"root of {m} lines", hx(mth(blines[:m])))
        put(f"consistency {m} -> 8", ", ".join(hx(h) for h in subproof(m, blines, True)))
    # §6.1 says Python's json.dumps agrees with the canonical form on log values; check it.
    sample = {"é": "\x00\x01\x1b\x1f\x7f\u2028/\b\f\t\n\r\"\\无", "a": [1, None, True]}
    assert canon(sample) == json.dumps(sample, ensure_ascii=False, separators=(",", ":"),
                                       sort_keys=True)
    for line in lines:
        assert line == json.dumps(json.loads(line), ensure_ascii=False, separators=(",", ":"),
                                  sort_keys=True)

    print("== §8.7 team draw with a reserved expert (§5.5 skip)")
    # Officers SK1..SK4 are certified; SK2 is also the only expert. Seeds "skip-0", "skip-1", ...
    # are searched for the first whose officer phase draws SK2 as a candidate (it must be
    # skipped: taking it would leave no expert).
    skip_dir = read_officers(SKIP_OFFICERS_CSV)
    ent = {"id": TEAM_ENTERPRISE}
    date = datetime.date(2020, 10, 20)
    skip_p = [o["id"] for o in skip_dir if eligible_officer(o, ent, "无线电", date, False)]
    skip_x = [o["id"] for o in skip_dir if eligible_officer(o, ent, "无线电", date, True)]
    assert (skip_p, skip_x) == (["SK1", "SK2", "SK3", "SK4"], ["SK2"])
    i = 0
    while True:
        kk = task_key(f"skip-{i}", PLAN_ID, TASK_ID)
        tkey = team_key(kk, TEAM_ENTERPRISE)
        trace = []
        offs, xs, n_off, n_x, rest, consumed, skipped = team_draw(
            tkey, skip_p, skip_x, 2, 1, trace)
        if skipped:
            break
        i += 1
    put("skip seed", f"skip-{i}")
    put("skip task key", hx(kk))
    put("skip team key", hx(tkey))
    for n, w, acc in trace:
        if w is not None:
            put(f"below({n}) skip", f"word {w:016x} t={(1 << 64) % n} value={w % n}")
    put("skip officers", ", ".join(offs))
    put("skip experts", ", ".join(xs))
    put("skip skipped", ", ".join(skipped))
    put("skip consumed", f"consumed = {consumed}")
    put("skip counts", f"eligible_officers {n_off}, eligible_experts {n_x}")

    print("== §8.8 committed seed (§9.2)")
    secret = bytes(range(32))
    commitment = sha256(str_("dualdraw/v1/commitment") + secret)
    put("secret", hx(secret))
    put("commitment", hx(commitment))
    plan = tomllib.loads(PLAN_TOML)
    offs_recs = read_officers(OFFICERS_CSV)
    commit_event = {
        "event": "header", "spec": SPEC_VERSION, "crate_version": CRATE_VERSION,
        "mode": "commit-reveal",
        "plan": {"id": plan["id"], "title": plan["title"],
                 "digest": hx(sha256(PLAN_TOML.encode()))},
        "inspection_date": "2020-10-20",
        "directories": {"targets": {"head": hx(mth([enterprise_bytes(e) for e in targets])),
                                    "count": len(targets),
                                    "supplied": supplied_targets(targets)},
                        "officers": {"head": hx(mth([officer_bytes(o) for o in offs_recs])),
                                     "count": len(offs_recs),
                                     "supplied": supplied_officers(offs_recs)}},
        "tasks": header_tasks(plan),
        "entropy_source": {"kind": "dice", "description": COMMIT_ENTROPY_SOURCE},
        "commitment": hx(commitment), "prev": "0" * 64, "seq": 0,
    }
    commit_line = canon(commit_event)
    commit_sha = sha256(commit_line.encode())
    put("commit line", commit_line)
    put("commit line SHA-256", hx(commit_sha))
    put("commit head", hx(leaf_hash(commit_line.encode())))
    pre = str_("dualdraw/v1/seed") + secret + str_(COMMIT_ENTROPY) + commit_sha
    put("seed preimage", hx(pre))
    seed = hx(sha256(pre))
    put("committed seed", seed)
    reveal = canon({"event": "reveal", "secret": hx(secret), "entropy": COMMIT_ENTROPY,
                    "seed": seed, "prev": hx(leaf_hash(commit_line.encode())), "seq": 1})
    put("reveal line", reveal)
    put("committed task key", hx(task_key(seed, PLAN_ID, TASK_ID)))

    print("== §8.9 replacement order (§9.3)")
    put("rest", ", ".join(rest83))
    rkey, order, rlog = replacement_order(tk, rest83, xs83)
    put("replacement key", hx(rkey))
    for n, w, acc in rlog:
        if w is not None:
            put(f"below({n}) replacement", f"word {w:016x} t={(1 << 64) % n} value={w % n}")
    put("replacement order", ", ".join(order[:3]))

    print("== §10.6 proof example (dualdraw-proof/4)")
    cp = checkpoint(PLAN_ID, sha256(PLAN_TOML.encode()), lines)
    proof = prove(lines, targets, "91120116MA05JKLM8C", cp)
    pobj = json.loads(proof)
    put("proof", proof)
    put("proof seqs", ", ".join(str(l["seq"]) for l in pobj["lines"]))
    put("proof record_path", pobj["record_path"])
    put("proof lines_proof", pobj["lines_proof"])
    put("proof bytes", f"{len(proof.encode()) + 1} bytes")
    put("proof SHA-256", hx(sha256(proof.encode() + b"\n")))
    if "--write" in sys.argv:
        # The §8.6 inputs, log and checkpoint and the §10.6 proof, as files, for a verifier.
        out_dir = sys.argv[sys.argv.index("--write") + 1]
        os.makedirs(out_dir, exist_ok=True)
        for name, blob in [("plan.toml", PLAN_TOML), ("targets.csv", TARGETS_CSV),
                           ("officers.csv", OFFICERS_CSV), ("draw.log", "\n".join(lines) + "\n"),
                           ("draw.head", cp), ("proof.json", proof + "\n")]:
            with open(os.path.join(out_dir, name), "w", encoding="utf-8", newline="") as f:
                f.write(blob)

    print("== §9.5 reason commitment")
    salt = bytes(range(32, 64))
    rpre = str_("dualdraw/v1/reason") + salt + str_("illness") + str_("住院治疗")
    put("reason preimage", hx(rpre))
    put("reason commitment", hx(sha256(rpre)))

    if "--check" in sys.argv:
        spec_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "SPEC.md")
        with open(spec_path, encoding="utf-8") as f:
            spec = f.read()
        for name, blob in [("plan", PLAN_TOML), ("targets", TARGETS_CSV),
                           ("officers", OFFICERS_CSV), ("§8.7 officers", SKIP_OFFICERS_CSV)]:
            assert blob in spec, f"§8 {name} input not verbatim in SPEC.md"
        missing = []
        for label, value in out:
            # Values are checked as the hex or text SPEC.md shows; below() traces by their word.
            probe = value.split(" ")[1] if label.startswith("below(") else value
            probe = probe.split(" ")[0] if label == "word" else probe
            # Lists (a path, a checkpoint's lines) are written element by element in SPEC.md.
            parts = (probe.replace(" / ", ", ").split(", ")
                     if label == "checkpoint" or label.startswith(("audit path", "consistency"))
                     else [probe])
            if any(x and x not in spec for x in parts):
                missing.append(label)
        if missing:
            print("NOT IN SPEC.md:", ", ".join(missing))
            sys.exit(1)
        print(f"OK: all {len(out)} values, the three §8.6 inputs and the §8.7 directory appear "
              "in SPEC.md")


if __name__ == "__main__":
    main()
