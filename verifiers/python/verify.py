#!/usr/bin/env python3
"""Independent verifier for dualdraw logs (`dualdraw-spec/4`), written from SPEC.md alone.

Python 3.11+ standard library only. Usage:

    python3 verify.py LOG --plan PLAN [--head CHECKPOINT]   # exit 0 verified, 1 failed, 2 bad input
    python3 verify.py --consistency OLD_CHECKPOINT PROOF    # SPEC §6.4, no log needed
    python3 verify.py --check-proof PROOF --head CHECKPOINT # SPEC §10.3, no log, no directory
    python3 verify.py --self-test                      # RFC 8439 and SPEC §8 vectors

Checks, in SPEC §7 order: the hash chain, the published head (--head, else draw.head beside the
log), the header, the plan digest, both directory Merkle heads; then it re-runs the draw
(operator-seed, or commit-reveal with the reveal opening the commitment, §9.1-9.2), recomputes
every replacement request after the footer (§9.3) and compares the whole log byte for byte.
Per-enterprise proof files (dualdraw-proof/4) are checked by every step of §10.3 with the
checkpoint alone: the residual lines restored (§10.2), their multi-leaf inclusion, the record's
directory inclusion, the pools from the header's `tasks`, tickets and cutoffs, and the file's
canonical byte form; what the proof shows is printed with the texts of §10.4. Every function
cites the SPEC section it implements.
"""
import argparse
import csv
import hashlib
import io
import json
import os
import re
import sys
import tomllib
from decimal import Decimal, localcontext
from fractions import Fraction
from math import ceil
from pathlib import Path

SPEC = "dualdraw-spec/4"
ZERO64 = "0" * 64
NOTICE = ("the seed was supplied by the operator (rehearsal/test mode); this draw alone does not "
          "prove the seed was not chosen to steer the result")

class BadInput(Exception):
    """Invalid or unreadable input: exit code 2 (§7)."""

class Failed(Exception):
    """Verification failure: exit code 1 (§7). `line` is 1-based."""

    def __init__(self, check, line, message):
        super().__init__(f"{check}: line {line}: {message}")

# ---------------------------------------------------------------- §1 notation and encodings
WHITE_SPACE = set("\t\n\x0b\x0c\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000") | {
    chr(c) for c in range(0x2000, 0x200B)}

def trim(s):
    """§1: remove Unicode White_Space from both ends (not Python's str.strip set)."""
    a, b = 0, len(s)
    while a < b and s[a] in WHITE_SPACE:
        a += 1
    while b > a and s[b - 1] in WHITE_SPACE:
        b -= 1
    return s[a:b]

def has_control(s):
    """§1: general category Cc."""
    return any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in s)

def u32be(n):
    return n.to_bytes(4, "big")

def enc_str(s):
    """§1 str(x)."""
    b = s.encode("utf-8")
    return u32be(len(b)) + b

def enc_list(items):
    """§1 list(x1..xn)."""
    return u32be(len(items)) + b"".join(enc_str(x) for x in items)

def sha256(b):
    return hashlib.sha256(b).digest()

def ascii_lower(s):
    return s.translate({c: c + 32 for c in range(65, 91)})

def byte_sorted(items):
    """§1 byte order == code point order, which is Python's str order."""
    return sorted(items)

# ---------------------------------------------------------------- §3 directories: value rules
CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
ENTERPRISE_STATUS = {"active": ["active", "存续", "在业", "开业", "正常", "在营", "在册",
                                "存续（在营、开业、在册）", "存续(在营、开业、在册)"],
                     "abnormal": ["abnormal", "经营异常", "异常", "严重违法失信"],
                     "closed": ["closed", "注销", "吊销", "撤销", "停业", "吊销，未注销",
                                "吊销,未注销", "吊销，已注销", "吊销,已注销", "已注销", "迁出",
                                "清算"]}
OFFICER_STATUS = {"active": ["active", "在岗", "在职", "正常"],
                  "leave": ["leave", "休假", "请假", "离岗", "借调", "停职", "病假", "产假",
                            "事假"],
                  "left": ["left", "离职", "调离", "退休"]}

def parse_text(v):
    """§3 text: non-empty, no control character."""
    if not v or has_control(v):
        raise ValueError("empty or contains a control character")
    return v

def uscc_form(v):
    """§3 unified social credit code: 18 characters of CHARSET."""
    if len(v) != 18 or any(c not in CHARSET for c in v):
        raise ValueError(f"not a unified social credit code: {v!r}")
    return v

def uscc_check_char(code):
    """§3 check character of positions 1-17."""
    total = sum(CHARSET.index(c) * w for c, w in zip(code[:17], WEIGHTS))
    return CHARSET[(31 - total % 31) % 31]

def days_from_civil(y, m, d):
    """Proleptic Gregorian day number (days since 1970-01-01); valid for year 0..9999."""
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    return era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468

def parse_date(v):
    """§3 date -> 'YYYY-MM-DD'."""
    for t in (" 00:00:00", " 0:00:00", " 00:00"):
        if v.endswith(t):
            v = v[: -len(t)]
            break
    if len(v) == 8 and all("0" <= c <= "9" for c in v):
        parts = [v[:4], v[4:6], v[6:]]
    elif v.endswith("日"):
        parts = re.split("[年月]", v[:-1])
    elif "-" in v:
        parts = v.split("-")
    elif "." in v:
        parts = v.split(".")
    else:
        parts = v.split("/")
    ok = len(parts) == 3 and all(p and all("0" <= c <= "9" for c in p) for p in parts)
    if not ok or len(parts[0]) != 4 or not (1 <= len(parts[1]) <= 2 and 1 <= len(parts[2]) <= 2):
        raise ValueError(f"not a date: {v!r}")
    y, m, d = (int(p) for p in parts)
    if y == 0:
        raise ValueError(f"year 0000 (years 0001-9999 only): {v!r}")
    leap = y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)
    mdays = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    if not (1 <= m <= 12 and 1 <= d <= mdays[m - 1]):
        raise ValueError(f"no such date: {v!r}")
    return f"{y:04d}-{m:02d}-{d:02d}"

def date_number(iso):
    y, m, d = (int(p) for p in iso.split("-"))
    return days_from_civil(y, m, d)

def parse_list(v):
    """§3 list: split at ; ； 、 , ; trim; drop empty; sort; dedupe; no control characters."""
    items = byte_sorted({trim(x) for x in re.split("[;；、,]", v)} - {""})
    if any(has_control(x) for x in items):
        raise ValueError(f"a list item contains a control character: {v!r}")
    return items

def parse_yesno(v):
    """§3 yes/no -> '1'/'0'."""
    low = ascii_lower(v)
    if low in ("true", "yes", "y", "1") or v in ("是", "√", "✓", "✔"):
        return "1"
    if low in ("false", "no", "n", "0", "") or v in ("否", "×", "✗"):
        return "0"
    raise ValueError(f"not yes/no: {v!r}")

def parse_class(v):
    """§3 credit class -> 'A'..'D' or '' (empty cell); '级' or '类' alone is an error."""
    if v == "":
        return ""
    t = v
    while t and t[-1] in "级类":
        t = t[:-1]
    if ascii_lower(t) in ("a", "b", "c", "d"):
        return t.upper()
    raise ValueError(f"not a credit class: {v!r}")

def parse_status(v, table):
    """§3 status: English ASCII case-insensitive, Chinese exact."""
    for canon, spellings in table.items():
        if ascii_lower(v) == spellings[0] or v in spellings[1:]:
            return canon
    raise ValueError(f"unknown status: {v!r}")

def parse_region6(v):
    if len(v) != 6 or not all("0" <= c <= "9" for c in v):
        raise ValueError(f"not 6 ASCII digits: {v!r}")
    return v

def parse_officer_id(v):
    if ";" in parse_text(v) or "," in v:
        raise ValueError("contains ';' or ','")
    return v

def parse_domains(v):
    items = parse_list(v)
    if not items:
        raise ValueError("empty list")
    return items

TARGET_COLUMNS = [  # (column, Chinese names, required, parser)
    ("id", ["统一社会信用代码"], True, uscc_form),
    ("name", ["企业名称"], True, parse_text),
    ("region", ["行政区划代码", "所属区域"], True, parse_region6),
    ("domains", ["监管领域", "行业"], True, parse_domains),
    ("credit_class", ["信用等级", "信用风险分类"], False, parse_class),
    ("status", ["登记状态"], True, lambda v: parse_status(v, ENTERPRISE_STATUS)),
    ("last_inspected", ["上次检查日期"], False, lambda v: parse_date(v) if v else ""),
]
OFFICER_COLUMNS = [
    ("id", ["人员编号", "工号"], True, parse_officer_id),
    ("name", ["姓名"], True, parse_text),
    ("department", ["所属部门"], True, parse_text),
    ("region", ["片区"], True, parse_text),
    ("cert_no", ["执法证号"], True, parse_text),
    ("cert_expires", ["执法证有效期至"], True, parse_date),
    ("domains", ["执法领域"], True, parse_domains),
    ("expert", ["是否专家"], False, parse_yesno),
    ("status", ["人员状态"], True, lambda v: parse_status(v, OFFICER_STATUS)),
    ("conflicts", ["回避企业"], False, lambda v: [uscc_form(c) for c in parse_list(v)]),
]

def decode_directory(data):
    """§3.4 encodings: UTF-8 (BOM optional), UTF-16 by its BOM, else GB18030."""
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnicodeDecodeError("workbook", data[:4], 0, 4,
                                 "an Excel workbook: this verifier reads CSV; save the sheet as CSV UTF-8")
    if data.startswith(b"\xff\xfe") or data.startswith(b"\xfe\xff"):
        return data.decode("utf-16")
    data = data.removeprefix(b"\xef\xbb\xbf")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030")

def read_directory(path, columns):
    """§3: read a CSV directory into records (dicts of canonical values) sorted by id."""
    try:
        text = decode_directory(Path(path).read_bytes())
    except (OSError, UnicodeDecodeError) as e:
        raise BadInput(f"{path}: {e}") from None
    if "\r" in text and "\n" not in text:
        text = text.replace("\r", "\n")  # §3: a CR-only file's lines end in CR
    first = text.split("\n", 1)[0]
    delim = "," if "," in first else "\t" if "\t" in first else ";" if ";" in first else ","
    csv.field_size_limit(1 << 30)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    rows = []
    try:
        for rec in reader:
            if any(trim(f) for f in rec):  # empty lines, and rows of empty cells, are skipped
                rows.append((reader.line_num, [trim(f) for f in rec]))
    except csv.Error as e:
        raise BadInput(f"{path}: CSV syntax: {e}") from None
    if not rows:
        raise BadInput(f"{path}: no header")
    # trim, every leading U+FEFF, trim again
    header = [trim(trim(h).lstrip("\ufeff")) for h in rows[0][1]]
    where = {}
    for i, cell in enumerate(header):
        for name, zh, _, _ in columns:
            if ascii_lower(cell) == name or cell in zh:
                if name in where:
                    raise BadInput(f"{path}: column {name} appears twice")
                where[name] = i
    for name, _, required, _ in columns:
        if required and name not in where:
            raise BadInput(f"{path}: missing column {name}")
    records, seen = [], set()
    for line, rec in rows[1:]:
        if len(rec) != len(header):
            raise BadInput(f"{path}: line {line}: {len(rec)} fields, header has {len(header)}")
        r = {}
        for name, _, _, parse in columns:
            try:
                r[name] = parse(rec[where[name]] if name in where else "")
            except ValueError as e:
                raise BadInput(f"{path}: line {line}: field {name}: {e}") from None
        if r["id"] in seen:
            raise BadInput(f"{path}: line {line}: duplicate id {r['id']}")
        seen.add(r["id"])
        records.append(r)
    return sorted(records, key=lambda r: r["id"])

# ---------------------------------------------------------------- §3.1-3.3 records and digest
def enterprise_record(e):
    """§3.1 canonical enterprise record."""
    return (enc_str("dualdraw/v1/enterprise") + enc_str(e["id"]) + enc_str(e["name"])
            + enc_str(e["region"]) + enc_list(e["domains"]) + enc_str(e["credit_class"])
            + enc_str(e["status"]) + enc_str(e["last_inspected"]))

def officer_record(o):
    """§3.2 canonical officer record."""
    return (enc_str("dualdraw/v1/officer") + enc_str(o["id"]) + enc_str(o["name"])
            + enc_str(o["department"]) + enc_str(o["region"]) + enc_str(o["cert_no"])
            + enc_str(o["cert_expires"]) + enc_list(o["domains"]) + enc_str(o["expert"])
            + enc_str(o["status"]) + enc_list(o["conflicts"]))

def merkle_head(leaves):
    """§3.3 RFC 6962 Merkle Tree Hash."""
    if not leaves:
        return sha256(b"")
    if len(leaves) == 1:
        return sha256(b"\x00" + leaves[0])
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return sha256(b"\x01" + merkle_head(leaves[:k]) + merkle_head(leaves[k:]))

def leaf_hash(line):
    """RFC 9162 §2.1.1 leaf hash SHA-256(0x00 || line): a log line's hash (§6.2 `prev`)."""
    return sha256(b"\x00" + line)

def node_hash(left, right):
    """RFC 9162 §2.1.1 interior node hash."""
    return sha256(b"\x01" + left + right)

def verify_inclusion(index, size, leaf, path, root):
    """RFC 9162 §2.1.3.2 -> True iff the audit path leads from leaf `index` to `root`."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root

def verify_consistency(first, second, path, first_root, second_root):
    """RFC 9162 §2.1.4.2 (equal sizes: an empty proof and equal roots) -> bool."""
    if not 0 < first <= second:
        return False
    if first == second:
        return not path and first_root == second_root
    if not path:
        return False
    if first & (first - 1) == 0:
        path = [first_root] + list(path)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == first_root and sr == second_root

def parse_checkpoint(text, what):
    """§6.3: exactly three LF-terminated lines: origin, size, base64 root -> dict."""
    import base64, binascii
    bad = lambda why: BadInput(f"{what}: not a checkpoint (§6.3): {why}")
    if not text.endswith("\n"):
        raise bad("no final line feed")
    parts = text[:-1].split("\n")
    if len(parts) != 3:
        raise bad(f"{len(parts)} lines, need exactly 3")
    origin, size, root = parts
    if not origin.startswith("dualdraw/") or has_control(origin):
        raise bad(f"origin {origin!r}")
    if not re.fullmatch("[1-9][0-9]*", size) or int(size) >= 2**64:
        raise bad(f"tree size {size!r}")
    try:
        raw = base64.b64decode(root, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32 or base64.b64encode(raw).decode() != root:
        raise bad(f"root hash {root!r} is not 32 bytes of padded base64")
    return {"origin": origin, "size": int(size), "root": raw}

def checkpoint_text(c):
    import base64
    return f"{c['origin']}\n{c['size']}\n{base64.b64encode(c['root']).decode()}\n"

def origin_for(plan_id, plan_digest_hex):
    """§6.3 origin line."""
    return f"dualdraw/{plan_id}/{plan_digest_hex[:16]}"

def read_file_text(path):
    try:
        return Path(path).read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise BadInput(f"{path}: {e}") from None

def check_consistency_file(old_path, proof_path):
    """§6.4: a consistency proof file against the earlier checkpoint, no log needed."""
    old = parse_checkpoint(read_file_text(old_path), old_path)
    try:
        f = json.loads(read_file_text(proof_path))
    except ValueError as e:
        raise BadInput(f"{proof_path}: not JSON ({e})") from None
    if not isinstance(f, dict) or set(f) != {"format", "old", "new", "proof"} \
            or f["format"] != "dualdraw-consistency/1" or not isinstance(f["proof"], list) \
            or not all(isinstance(h, str) and re.fullmatch("[0-9a-f]{64}", h) for h in f["proof"]):
        raise BadInput(f"{proof_path}: not a dualdraw-consistency/1 file (§6.4)")
    if not isinstance(f["old"], str) or not isinstance(f["new"], str):
        raise BadInput(f"{proof_path}: old and new must be checkpoint texts")
    p_old = parse_checkpoint(f["old"], f"{proof_path} old")
    new = parse_checkpoint(f["new"], f"{proof_path} new")
    if p_old != old:
        raise Failed("consistency (§6.4)", 0, "the proof starts from another checkpoint")
    if old["origin"] != new["origin"]:
        raise Failed("consistency (§6.4)", 0, "the origins differ")
    if not verify_consistency(old["size"], new["size"], [bytes.fromhex(h) for h in f["proof"]],
                              old["root"], new["root"]):
        raise Failed("consistency (§6.4)", 0, f"the proof does not show that the tree of size "
                     f"{new['size']} extends the checkpoint of size {old['size']}")
    return (f"consistent: the log of tree size {new['size']} extends the checkpoint of tree size "
            f"{old['size']}; its checkpoint:\n{checkpoint_text(new)}").rstrip("\n")

# §3.3: the optional fields a directory supplies (at least one record has a value), sorted.
SUPPLIED = {"targets": {"credit_class": lambda r: r["credit_class"] != "",
                        "last_inspected": lambda r: r["last_inspected"] != ""},
            "officers": {"conflicts": lambda r: bool(r["conflicts"]),
                         "expert": lambda r: r["expert"] == "1"}}

def directory_digest(records, canon, which):
    return {"count": len(records), "head": merkle_head([canon(r) for r in records]).hex(),
            "supplied": sorted(f for f, has in SUPPLIED[which].items()
                               if any(has(r) for r in records))}

# ---------------------------------------------------------------- §4.1-4.2 plan
def is_identifier(v):
    """§4.1 identifier."""
    return (isinstance(v, str) and 1 <= len(v.encode()) <= 128 and not has_control(v)
            and trim(v) == v)

def parse_ratio(v):
    """§4.2 ratio string -> (exact Fraction R, displayed string)."""
    if not isinstance(v, str):
        raise BadInput(f"ratio must be a string: {v!r}")
    s, pct = trim(v), False
    if s.endswith("%"):
        s, pct = trim(s[:-1]), True
    if not re.fullmatch(r"[0-9]+(\.[0-9]+)?", s):
        raise BadInput(f"bad ratio {v!r}")
    if len(s.partition(".")[2].rstrip("0")) + (2 if pct else 0) > 28:
        raise BadInput(f"ratio needs more than 28 decimals: {v!r}")
    with localcontext() as ctx:
        ctx.prec = 200
        shown = Decimal(s) if pct else Decimal(s) * 100
    r = Fraction(shown) / 100
    if not 0 < r <= 1:
        raise BadInput(f"ratio out of range (0, 1]: {v!r}")
    text = format(shown, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return r, text + "%"

def check_keys(table, allowed, where, required=()):
    if not isinstance(table, dict):
        raise BadInput(f"{where}: must be a table")
    for k in table:
        if k not in allowed:
            raise BadInput(f"{where}: unknown key {k!r}")
    for k in required:
        if k not in table:
            raise BadInput(f"{where}: missing key {k!r}")

def want(v, typ, where):
    if typ is int and (not isinstance(v, int) or isinstance(v, bool)):
        raise BadInput(f"{where}: must be an integer")
    if typ is not int and not isinstance(v, typ):
        raise BadInput(f"{where}: must be a {typ.__name__}")
    return v

def parse_sample(s, where):
    """§4.2 sample: count / ratio / by_class."""
    check_keys(s, ("count", "ratio", "by_class"), where)
    if len(s) != 1:
        raise BadInput(f"{where}: exactly one of count, ratio, by_class")
    if "count" in s:
        n = want(s["count"], int, where + ".count")
        if n < 1:
            raise BadInput(f"{where}.count must be >= 1")
        return {"kind": "count", "n": n, "log": {"count": n}}
    if "ratio" in s:
        r, shown = parse_ratio(s["ratio"])
        return {"kind": "ratio", "r": r, "log": {"ratio": shown}}
    table = want(s["by_class"], dict, where + ".by_class")
    if not table:
        raise BadInput(f"{where}.by_class is empty")
    ratios, shown = {}, {}
    for key in table:
        try:
            cls = "none" if ascii_lower(key) == "none" else parse_class(key)
        except ValueError:
            raise BadInput(f"{where}.by_class: unknown class {key!r}") from None
        if cls == "":
            raise BadInput(f"{where}.by_class: unknown class {key!r}")
        if cls in ratios:
            raise BadInput(f"{where}.by_class: two keys name class {cls}")
        ratios[cls], shown[cls] = parse_ratio(table[key])
    return {"kind": "by_class", "ratios": ratios, "log": {"by_class": shown}}

def check_domain(v, where):
    """§4.2 a plan domain: not empty or all White_Space, no control character, not trimmable."""
    if trim(v) == "" or has_control(v) or trim(v) != v:
        raise BadInput(f"{where}: {v!r} is empty, has a control character or surrounding space")
    return v

def parse_task(t, i):
    """§4.2 one [[task]]."""
    w = f"task[{i}]"
    check_keys(t, ("id", "domain", "item", "scope", "sample", "exclude_inspected_within_days",
                   "shortfall", "team", "area", "joint"), w,
               ("id", "domain", "item", "sample", "team"))
    if not is_identifier(t["id"]):
        raise BadInput(f"{w}.id is not an identifier")
    domain = check_domain(want(t["domain"], str, w + ".domain"), w + ".domain")
    check_keys(t["item"], ("name", "basis"), w + ".item", ("name", "basis"))
    item = {k: want(t["item"][k], str, f"{w}.item.{k}") for k in ("name", "basis")}
    scope = t.get("scope", {})
    check_keys(scope, ("regions", "domains", "statuses"), w + ".scope")
    sc = {}
    for k in ("regions", "domains", "statuses"):
        sc[k] = [want(x, str, f"{w}.scope.{k}") for x in want(scope.get(k, []), list, w)]
    for i, d in enumerate(sc["domains"]):
        check_domain(d, f"{w}.scope.domains[{i}]")
    try:
        [parse_region6(r) for r in sc["regions"]]
        statuses = [parse_status(x, ENTERPRISE_STATUS) for x in sc["statuses"]]
    except ValueError as e:
        raise BadInput(f"{w}.scope: {e}") from None
    excl = t.get("exclude_inspected_within_days")
    if excl is not None and not 0 <= want(excl, int, w) <= 4294967295:
        raise BadInput(f"{w}.exclude_inspected_within_days out of range")
    shortfall = t.get("shortfall", "error")
    if shortfall not in ("error", "take-all"):
        raise BadInput(f"{w}.shortfall must be \"error\" or \"take-all\"")
    check_keys(t["team"], ("size", "experts"), w + ".team", ("size",))
    size = want(t["team"]["size"], int, w + ".team.size")
    experts = want(t["team"].get("experts", 0), int, w + ".team.experts")
    if size < 2 or experts < 0:
        raise BadInput(f"{w}.team: size must be >= 2 and experts >= 0")
    area = t.get("area", "any")                                                   # §4.6
    if area not in ("any", "same", "different"):
        raise BadInput(f"{w}.area must be any, same or different")
    joint = []
    for k, j in enumerate(want(t.get("joint", []), list, w + ".joint")):
        check_keys(want(j, dict, f"{w}.joint[{k}]"), ("department", "domain"), f"{w}.joint[{k}]",
                   ("department",))
        dept = want(j["department"], str, f"{w}.joint[{k}].department")
        if trim(dept) == "" or dept in [x["department"] for x in joint]:
            raise BadInput(f"{w}.joint: departments must be named, each once")
        joint.append({"department": dept,
                      "domain": want(j.get("domain", domain), str, f"{w}.joint[{k}].domain")})
    if len(joint) > size:
        raise BadInput(f"{w}.team.size is smaller than the number of joint departments")
    return {"id": t["id"], "domain": domain, "item": item, "regions": sc["regions"],
            "domains": sc["domains"], "statuses": statuses,
            "directed": any(sc.values()), "sample": parse_sample(t["sample"], w + ".sample"),
            "exclude": excl, "shortfall": shortfall, "size": size, "experts": experts,
            "area": area, "joint": joint}

def load_plan(path):
    """§4.1-4.2: parse and validate the plan; returns (plan dict, raw bytes)."""
    try:
        raw = Path(path).read_bytes()
        doc = tomllib.loads(raw.decode("utf-8").lstrip("\ufeff"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise BadInput(f"{path}: {e}") from None
    check_keys(doc, ("id", "title", "inspection_date", "targets", "officers", "seed", "publish",
                     "task", "assignment", "recusal", "results"),
               "plan", ("id", "title", "inspection_date", "targets", "officers", "task"))
    if not is_identifier(doc["id"]):
        raise BadInput("plan.id is not an identifier")
    for k in ("title", "inspection_date", "targets", "officers"):
        want(doc[k], str, "plan." + k)
    try:
        date = parse_date(doc["inspection_date"])
    except ValueError as e:
        raise BadInput(f"plan.inspection_date: {e}") from None
    if "seed" in doc:
        check_seed(want(doc["seed"], str, "plan.seed"))
    check_keys(doc.get("publish", {}), ("officer_fields", "directories", "reasons"), "plan.publish")
    public_reasons = want(doc.get("publish", {}).get("reasons", False), bool, "publish.reasons")
    fields = want(doc.get("publish", {}).get("officer_fields", []), list, "publish.officer_fields")
    if any(f not in ("name", "department", "region") for f in fields) or len(set(fields)) != len(
            fields):
        raise BadInput("publish.officer_fields: distinct values from name, department, region")
    # §4.2: the officer directory holds every officer field, so it is published only with all.
    if want(doc.get("publish", {}).get("directories", False), bool, "publish.directories") and len(
            fields) != 3:
        raise BadInput("publish.directories = true needs officer_fields = name, department, region")
    tasks = [parse_task(t, i) for i, t in enumerate(want(doc["task"], list, "plan.task"))]
    if not tasks or len({t["id"] for t in tasks}) != len(tasks):
        raise BadInput("plan: needs at least one task, with unique ids")
    check_keys(want(doc.get("assignment", {}), dict, "plan.assignment"), ("max_per_officer",),
               "plan.assignment")
    cap = doc.get("assignment", {}).get("max_per_officer", "balanced")            # §4.6
    if not (cap in ("balanced", "strict", "none") or (
            isinstance(cap, int) and not isinstance(cap, bool) and 1 <= cap <= 4294967295)):
        raise BadInput("assignment.max_per_officer: balanced, strict, none or an integer >= 1")
    recusals = []
    for k, r in enumerate(want(doc.get("recusal", []), list, "plan.recusal")):
        check_keys(want(r, dict, f"recusal[{k}]"),
                   ("enterprise", "officer", "category", "text", "commitment"),
                   f"recusal[{k}]", ("enterprise", "officer", "category"))
        for f in ("enterprise", "officer", "category", "text", "commitment"):
            if f in r:
                want(r[f], str, f"recusal[{k}].{f}")
        cat = REASON_NAMES.get(trim(r["category"]))
        if cat is None:
            raise BadInput(f"recusal[{k}].category: one of {', '.join(REASON_CATEGORIES)}")
        reason = {"category": cat}
        reason.update({f: r[f] for f in ("text", "commitment") if f in r})
        try:
            check_reason(reason, public_reasons)
        except ValueError as e:
            raise BadInput(f"recusal[{k}]: {e}") from None
        r = {"enterprise": r["enterprise"], "officer": r["officer"], "reason": reason}
        recusals.append(r)
    res = want(doc.get("results", {}), dict, "plan.results")                     # §11.2
    check_keys(res, ("categories", "publish_findings"), "plan.results")
    categories = want(res.get("categories", RESULT_CATEGORIES), list, "results.categories")
    if not categories or len(set(categories)) != len(categories) or not all(
            isinstance(c, str) and is_identifier(c) for c in categories):
        raise BadInput("results.categories: a non-empty list of distinct categories")
    publish_findings = want(res.get("publish_findings", False), bool, "results.publish_findings")
    base = Path(path).parent
    return {"id": doc["id"], "title": doc["title"], "date": date, "seed": doc.get("seed"),
            "targets": base / doc["targets"], "officers": base / doc["officers"],
            "tasks": tasks, "cap": cap, "recusals": recusals, "categories": categories,
            "publish_findings": publish_findings, "public_reasons": public_reasons}, raw

# ---------------------------------------------------------------- §4.3-4.4 pool and strata
def region_matches(f, r):
    """§4.3 region filter."""
    if f.endswith("0000"):
        return r.startswith(f[:2])
    if f.endswith("00"):
        return r.startswith(f[:4])
    return r == f

def task_pool(task, enterprises, date):
    """§4.3 -> (eligible per stratum name, excluded_recent)."""
    strata, excluded = {}, 0
    for e in enterprises:
        if task["regions"] and not any(region_matches(f, e["region"]) for f in task["regions"]):
            continue
        if task["domains"] and not set(task["domains"]) & set(e["domains"]):
            continue
        if e["status"] not in (task["statuses"] or ["active", "abnormal"]):
            continue
        if (task["exclude"] is not None and e["last_inspected"]
                and date_number(date) - date_number(e["last_inspected"]) < task["exclude"]):
            excluded += 1
            continue
        name = "all" if task["sample"]["kind"] != "by_class" else (e["credit_class"] or "none")
        strata.setdefault(name, []).append(e)
    return strata, excluded

def sample_sizes(task, pool):
    """§4.4 -> list of (stratum, eligible list, requested), in stratum order."""
    s = task["sample"]
    if s["kind"] != "by_class":
        elig = pool.get("all", [])
        req = s["n"] if s["kind"] == "count" else ceil(s["r"] * len(elig))
        return [("all", elig, req)]
    out = []
    for cls in ("A", "B", "C", "D", "none"):
        elig = pool.get(cls, [])
        if elig and cls not in s["ratios"]:
            raise Failed("strata (§4.4)", 1, f"task {task['id']}: class {cls} has eligible "
                         "enterprises but no ratio in the plan")
        if elig or cls in s["ratios"]:
            out.append((cls, elig, ceil(s["ratios"][cls] * len(elig)) if elig else 0))
    return out

# ---------------------------------------------------------------- §5 randomness
def check_seed(seed):
    """§5.1 seed: 1..1024 bytes, no control character."""
    if not 1 <= len(seed.encode()) <= 1024 or has_control(seed):
        raise BadInput("invalid seed")
    return seed

def task_key(seed, plan_id, task_id):
    """§5.1 K."""
    return sha256(enc_str("dualdraw/v1/task-key") + enc_str(seed) + enc_str(plan_id)
                  + enc_str(task_id))

def ticket(key, eid):
    """§5.2 ticket = SHA-256(hex(K) ':' id)."""
    return sha256((key.hex() + ":" + eid).encode())

def bottom_k(key, eligible, k):
    """§5.2 the k smallest tickets, ties by id."""
    return sorted(((ticket(key, e["id"]), e["id"]) for e in eligible))[:k]

def team_key(key, eid):
    """§5.3 team key."""
    return sha256(enc_str("dualdraw/v1/team-key") + key + enc_str(eid))

def chacha20_block(key, counter, nonce):
    """RFC 8439 §2.3 ChaCha20 block function -> 64 bytes."""
    def rotl(v, c):
        return ((v << c) & 0xFFFFFFFF) | (v >> (32 - c))

    def qr(s, a, b, c, d):
        s[a] = (s[a] + s[b]) & 0xFFFFFFFF; s[d] = rotl(s[d] ^ s[a], 16)
        s[c] = (s[c] + s[d]) & 0xFFFFFFFF; s[b] = rotl(s[b] ^ s[c], 12)
        s[a] = (s[a] + s[b]) & 0xFFFFFFFF; s[d] = rotl(s[d] ^ s[a], 8)
        s[c] = (s[c] + s[d]) & 0xFFFFFFFF; s[b] = rotl(s[b] ^ s[c], 7)

    words = lambda b: [int.from_bytes(b[i:i + 4], "little") for i in range(0, len(b), 4)]
    init = [0x61707865, 0x3320646E, 0x79622D32, 0x6B206574] + words(key) + [counter] + words(nonce)
    s = list(init)
    for _ in range(10):
        qr(s, 0, 4, 8, 12); qr(s, 1, 5, 9, 13); qr(s, 2, 6, 10, 14); qr(s, 3, 7, 11, 15)
        qr(s, 0, 5, 10, 15); qr(s, 1, 6, 11, 12); qr(s, 2, 7, 8, 13); qr(s, 3, 4, 9, 14)
    return b"".join(((x + y) & 0xFFFFFFFF).to_bytes(4, "little") for x, y in zip(s, init))

class Stream:
    """§5.3 keystream (zero nonce, counter from 0); next_u64 reads 8 bytes little-endian."""

    def __init__(self, key):
        self.key, self.counter, self.buf = key, 0, b""

    def next_u64(self):
        if len(self.buf) < 8:
            self.buf += chacha20_block(self.key, self.counter, bytes(12))
            self.counter += 1
        word, self.buf = self.buf[:8], self.buf[8:]
        return int.from_bytes(word, "little")

def below(stream, n):
    """§5.4 unbiased integer in 0..n-1 by rejection."""
    if n <= 1:
        return 0
    t = (1 << 64) % n
    while True:
        x = stream.next_u64()
        if x >= t:
            return x % n

def partial_fisher_yates(stream, pool, k):
    """§5.5 step 6 (and §9.3 with k = len(pool)): k swap steps; returns pool[:k]."""
    for i in range(k):
        j = i + below(stream, len(pool) - i)
        pool[i], pool[j] = pool[j], pool[i]
    return pool[:k]

# ---------------------------------------------------------------- §5.5-5.8 team draw
INF = 1 << 30

class Net:
    """A small flow network for the yes/no question of §5.5 step 5 (Edmonds-Karp)."""

    def __init__(self):
        self.adj, self.to, self.cap = [], [], []

    def node(self):
        self.adj.append([])
        return len(self.adj) - 1

    def arc(self, u, v, c):
        for a, b, cc in ((u, v, c), (v, u, 0)):
            self.adj[a].append(len(self.to))
            self.to.append(b)
            self.cap.append(cc)

    def max_flow(self, s, t):
        flow = 0
        while True:
            parent = {s: None}
            queue = [s]
            for u in queue:
                for a in self.adj[u]:
                    v = self.to[a]
                    if v not in parent and self.cap[a] > 0:
                        parent[v] = a
                        queue.append(v)
                if t in parent:
                    break
            if t not in parent:
                return flow
            v, push = t, INF
            while parent[v] is not None:
                a = parent[v]
                push = min(push, self.cap[a])
                v = self.to[a ^ 1]
            v = t
            while parent[v] is not None:
                a = parent[v]
                self.cap[a] -= push
                self.cap[a ^ 1] += push
                v = self.to[a ^ 1]
            flow += push

def lawful_exists(visits, cap, fixed):
    """§5.5 step 5: does a lawful assignment exist that contains the places in `fixed`
    ({(visit, group, person): role})? Computed afresh: the fixed places are taken out and the
    rest must be staffable."""
    load = {}
    for (_, _, p) in fixed:
        load[p] = load.get(p, 0) + 1
    if any(n > cap for n in load.values()):
        return False
    net = Net()
    s, t = net.node(), net.node()
    person = {}
    demand = 0
    for vi, groups in enumerate(visits):
        in_visit = {p for (v, _, p) in fixed if v == vi}
        pair = {}
        for gi, g in enumerate(groups):
            offs = [p for (v, gg, p), r in fixed.items() if v == vi and gg == gi and r == "officer"]
            exps = [p for (v, gg, p), r in fixed.items() if v == vi and gg == gi and r == "expert"]
            lacking = [d for d in range(len(g["joint"]))
                       if not any(g["dept"].get(p) == d for p in offs)]
            open_ = g["size"] - len(offs)
            if open_ < len(lacking):
                return False
            free = net.node()
            net.arc(free, t, open_ - len(lacking))
            dnode = {}
            for d in lacking:
                dnode[d] = net.node()
                net.arc(dnode[d], t, 1)
                net.arc(dnode[d], free, INF)
            xnode = net.node()
            net.arc(xnode, t, g["experts"] - len(exps))
            demand += open_ + g["experts"] - len(exps)
            targets = []
            for p in g["P"]:
                d = g["dept"].get(p)
                targets.append((p, dnode.get(d, free)))
            for p in g["X"]:
                targets.append((p, xnode))
            for p, node in targets:
                if p in in_visit:
                    continue
                if p not in person:
                    person[p] = net.node()
                    net.arc(s, person[p], cap - load.get(p, 0))
                if p not in pair:
                    pair[p] = net.node()
                    net.arc(person[p], pair[p], 1)
                net.arc(pair[p], node, 1)
    return net.max_flow(s, t) == demand

def eligible(o, e, task, date, expert, apart):
    """§5.5 step 2 -> department index (None if not joint) when eligible, else False."""
    joint = task["joint"]
    dept = next((i for i, j in enumerate(joint) if j["department"] == o["department"]), None)
    if o["status"] != "active":
        return False
    if expert and o["expert"] != "1":
        return False
    if not expert and o["cert_expires"] < date:
        return False
    if not expert and joint and dept is None:
        return False
    if expert:
        doms = [task["domain"]] + [j["domain"] for j in joint]
        if not any(d in o["domains"] for d in doms):
            return False
    else:
        dom = joint[dept]["domain"] if joint else task["domain"]
        if dom not in o["domains"]:
            return False
    if e["id"] in o["conflicts"] or (e["id"], o["id"]) in apart["recusal"]:
        return False
    area = task["area"]
    if (area == "same" and o["region"] != e["region"]) or (
            area == "different" and o["region"] == e["region"]):
        return False
    if o["id"] in apart["rotation"].get(e["id"], ()):
        return False
    return None if expert else dept

def staff(plan, drawn, records, officers, apart):
    """§5.5 all teams -> (team events per task in target order, merges, team states for §9.3,
    cap)."""
    date = plan["date"]
    visits, where, order = [], {}, []
    for ti, (task, key, _, targets) in enumerate(drawn):
        for t in targets:
            e = records[t["id"]]
            P, X, dept = [], [], {}
            for o in officers:  # id order
                d = eligible(o, e, task, date, False, apart)
                if d is not False:
                    P.append(o["id"])
                    if d is not None:
                        dept[o["id"]] = d
                if eligible(o, e, task, date, True, apart) is not False:
                    X.append(o["id"])
            g = {"task": task, "key": key, "ti": ti, "size": task["size"],
                 "experts": task["experts"], "joint": task["joint"], "P": P, "X": X,
                 "dept": dept, "eid": e["id"]}
            s, x = g["size"], g["experts"]                                  # step 3
            if (len(P) < s or len(X) < x or len(set(P) | set(X)) < s + x
                    or any(d not in dept.values() for d in range(len(task["joint"])))):
                raise Failed("team (§5.5)", 1, f"task {task['id']}, {e['id']}: {len(P)} "
                             f"eligible officers, {len(X)} experts; the team needs {s} "
                             f"officers, {x} experts and an officer of each participant")
            if e["id"] not in where:
                where[e["id"]] = len(visits)
                visits.append([])
            visits[where[e["id"]]].append(g)
            order.append((ti, t["id"]))
    for groups in visits:
        if len(groups) > 1:
            people = set().union(*[set(g["P"]) | set(g["X"]) for g in groups])
            if len(people) < sum(g["size"] + g["experts"] for g in groups):
                raise Failed("team (§5.5)", 1, f"merged visit {groups[0]['eid']}: too few people")
    places = sum(g["size"] + g["experts"] for gs in visits for g in gs)    # step 4
    n = len(set().union(set(), *[set(g["P"]) | set(g["X"]) for gs in visits for g in gs])) or 1
    V = max(len(visits), 1)
    rule = plan["cap"]
    if isinstance(rule, int):
        cap = rule
    elif rule == "none":
        cap = V
    else:
        c0 = -(-places // n) + (1 if rule == "balanced" else 0)
        if c0 >= V:
            cap = c0
        else:
            cap = next((c for c in range(c0, V + 1) if lawful_exists(visits, c, {})), V)
    if not lawful_exists(visits, cap, {}):                                  # step 5
        raise Failed("team (§5.5)", 1, f"no lawful assignment exists under cap {cap}")
    fixed, teams, states = {}, {}, {}
    for vi, groups in enumerate(visits):                                    # step 6
        stream = Stream(team_key(groups[0]["key"], groups[0]["eid"]))
        for gi, g in enumerate(groups):
            pool, chosen, i = list(g["P"]), [], 0
            while len(chosen) < g["size"]:
                j = i + below(stream, len(pool) - i)
                pool[i], pool[j] = pool[j], pool[i]
                c, i = pool[i], i + 1
                trial = dict(fixed)
                trial[(vi, gi, c)] = "officer"
                if (vi, gi, c) not in fixed and not any(
                        v == vi and p == c for (v, _, p) in fixed) and lawful_exists(
                        visits, cap, trial):
                    fixed = trial
                    chosen.append(c)
            xprime = [p for p in g["X"] if p not in chosen]
            n_x, experts, k = len(xprime), [], 0
            while len(experts) < g["experts"]:
                j = k + below(stream, len(xprime) - k)
                xprime[k], xprime[j] = xprime[j], xprime[k]
                c, k = xprime[k], k + 1
                trial = dict(fixed)
                trial[(vi, gi, c)] = "expert"
                if not any(v == vi and p == c for (v, _, p) in fixed) and lawful_exists(
                        visits, cap, trial):
                    fixed = trial
                    experts.append(c)
            task = g["task"]
            teams[(task["id"], g["eid"])] = {
                "event": "team", "task": task["id"], "enterprise": g["eid"],
                "leader": chosen[0], "officers": chosen, "experts": experts,
                "eligible_officers": len(g["P"]), "eligible_experts": n_x}    # step 7
            states[(task["id"], g["eid"])] = {
                "rest": pool[i:], "tkey": team_key(g["key"], g["eid"]), "experts": experts,
                "current": list(chosen), "order": None, "last": -1, "task": task}
    merges = [[g["task"]["id"] for g in gs] for gs in visits if len(gs) > 1]
    merge_of = {gs[0]["eid"]: [g["task"]["id"] for g in gs] for gs in visits if len(gs) > 1}
    return teams, merge_of, states, cap

def replacement_event(req, teams, line, cap, depts, public):
    """§9.3 (with the assignment rules): one replacement, recomputed from the request (task, enterprise, out,
    reason): the first lawful officer of the team's replacement order after the position the
    previous replacement in that team took."""
    def fail(msg):
        raise Failed("replacement (§9.3)", line, msg)
    fields = [req.get(k) for k in ("task", "enterprise", "out", "reason")]
    if req.get("event") != "replacement" or not all(isinstance(f, str) for f in fields[:3]):
        fail("not a replacement request (task, enterprise, out, reason)")
    task, eid, out, reason = fields
    try:
        check_reason(reason, public)
    except ValueError as e:
        fail(str(e))
    team = teams.get((task, eid)) or fail(f"no team for task {task!r}, enterprise {eid!r}")
    if out not in team["current"]:
        fail(f"{out!r} is not one of the team's current officers {team['current']}")
    if team["order"] is None:
        stream = Stream(sha256(enc_str("dualdraw/v1/replacement-key") + team["tkey"]))
        order = partial_fisher_yates(stream, list(team["rest"]), len(team["rest"]))
        team["order"] = [o for o in order if o not in team["experts"]]
    load, in_visit = {}, set()
    for (_, e), t in teams.items():
        for p in t["current"] + t["experts"]:
            load[p] = load.get(p, 0) + 1
            if e == eid:
                in_visit.add(p)
    others = [o for o in team["current"] if o != out]
    joint = [j["department"] for j in team["task"]["joint"]]

    def lawful(n):
        if n in in_visit or load.get(n, 0) >= cap:
            return False
        return all(any(depts.get(o) == d for o in others + [n]) for d in joint)
    m = next((m for m in range(team["last"] + 1, len(team["order"]))
              if lawful(team["order"][m])), None)
    if m is None:
        fail(f"no lawful officer is left in the replacement order of {eid} in task {task}")
    new = team["order"][m]
    team["current"][team["current"].index(out)] = new
    team["last"] = m
    return {"event": "replacement", "task": task, "enterprise": eid, "out": out, "in": new,
            "reason": reason, "order_position": m}

# ---------------------------------------------------------------- §9.5 reasons
REASON_CATEGORIES = ("illness", "leave", "conflict_of_interest", "duty_change", "other")
REASON_LABELS = {"illness": "病假", "leave": "休假/事假", "conflict_of_interest": "利益冲突/回避",
                 "duty_change": "岗位调整", "other": "其他"}
REASON_NAMES = {k: k for k in REASON_CATEGORIES}
REASON_NAMES.update({v: k for k, v in REASON_LABELS.items()})
REASON_NAMES.update({"休假": "leave", "事假": "leave", "利益冲突": "conflict_of_interest",
                     "回避": "conflict_of_interest"})

def is_hash(h):
    return isinstance(h, str) and len(h) == 64 and all(c in "0123456789abcdef" for c in h)

def check_reason(r, public):
    """§9.5: a logged reason {category[, text | commitment]}; raises ValueError."""
    if not isinstance(r, dict) or "category" not in r or set(r) - {"category", "text",
                                                                   "commitment"}:
        raise ValueError("a reason is an object {category, and text or commitment}")
    if r["category"] not in REASON_CATEGORIES:
        raise ValueError(f"unknown reason category {r['category']!r}; valid: "
                         + ", ".join(REASON_CATEGORIES))
    if "text" in r and not (isinstance(r["text"], str) and trim(r["text"]) != ""
                            and not has_control(r["text"])):
        raise ValueError("a reason's text must be one line of text")
    if "commitment" in r and not is_hash(r["commitment"]):
        raise ValueError("a reason's commitment must be 64 lowercase hex digits")
    if "text" in r and "commitment" in r:
        raise ValueError("a reason has both a text and a commitment")
    if "text" in r and not public:
        raise ValueError("the reason's text is in the clear, but the plan keeps reasons private")
    if "commitment" in r and public:
        raise ValueError("the plan publishes reasons: a commitment instead of the text")

def reason_commitment(category, salt, text):
    """§9.5: SHA-256(str("dualdraw/v1/reason") || salt || str(category) || str(text))."""
    return sha256(enc_str("dualdraw/v1/reason") + salt + enc_str(category) + enc_str(text))

def check_sidecar(log_path, sidecar_path):
    """§9.5: every entry of the private sidecar opens its commitment, and every commitment in
    the log has an entry of the same category. Returns the number of commitments checked."""
    try:
        text = Path(sidecar_path).read_bytes().decode("utf-8")
        lines = Path(log_path).read_bytes().decode("utf-8").split("\n")
    except (OSError, UnicodeDecodeError) as e:
        raise BadInput(f"{sidecar_path}: {e}") from None
    opened = {}
    for k, l in enumerate(text.split("\n"), 1):
        if not l.strip():
            continue
        try:
            e = json.loads(l)
            ok = (isinstance(e, dict) and set(e) == {"category", "commitment", "salt", "text"}
                  and e["category"] in REASON_CATEGORIES and is_hash(e["commitment"])
                  and is_hash(e["salt"]) and isinstance(e["text"], str))
        except ValueError:
            ok = False
        if not ok:
            raise BadInput(f"{sidecar_path} line {k}: not a sidecar entry (§9.5)")
        if reason_commitment(e["category"], bytes.fromhex(e["salt"]), e["text"]).hex() != \
                e["commitment"]:
            raise Failed("private reasons (§9.5)", 0, f"{sidecar_path} line {k}: the text and "
                         f"salt do not open the commitment {e['commitment']}")
        opened[e["commitment"]] = e["category"]
    n = 0
    for i, l in enumerate(lines, 1):
        try:
            r = json.loads(l).get("reason") if l else None
        except (ValueError, AttributeError):
            r = None
        if not isinstance(r, dict) or "commitment" not in r:
            continue
        if opened.get(r["commitment"]) != r.get("category"):
            raise Failed("private reasons (§9.5)", i, f"the sidecar holds no text of category "
                         f"{r.get('category')!r} for the commitment {r['commitment']}")
        n += 1
    return n

# ---------------------------------------------------------------- §6 log
RESULT_CATEGORIES = [
    "未发现问题", "正常经营", "未按规定公示应当公示的信息", "公示信息隐瞒真实情况、弄虚作假",
    "通过登记的住所（经营场所）无法联系", "不配合检查情节严重", "发现问题已责令改正", "发现问题待后续处理",
    "未发现开展本次抽查涉及的经营活动", "已注销或被吊销营业执照", "已迁出"]

def result_event(o, state, plan, line):
    """§11.1: a result or publication after the footer, checked against the drawn visits and
    the lines before it; returns the event as it must be written (members fixed)."""
    kind = o.get("event")

    def fail(msg):
        raise Failed(CHECK_NAMES[kind], line, msg)

    def date_of(v, what):
        if not (isinstance(v, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", v)):
            fail(f"the {what} date {v!r} is not YYYY-MM-DD")
        try:
            if parse_date(v) != v:
                raise ValueError
        except ValueError:
            fail(f"the {what} date {v!r} is not a date")
        if v < plan["date"]:
            fail(f"the {what} date {v} is before the inspection date {plan['date']}")
        return v

    def text_ok(t):
        return isinstance(t, str) and trim(t) != "" and not any(
            ord(c) < 0x20 and c != "\n" or 0x7f <= ord(c) <= 0x9f for c in t)
    if kind == "result":
        keys = ("task", "enterprise", "category", "date", "findings", "follow_up", "corrects")
        if any(k not in o for k in keys) or not all(
                isinstance(o[k], str) for k in keys[:4]):
            fail("not a result event (task, enterprise, category, date, findings, follow_up, "
                 "corrects)")
        visit = (o["task"], o["enterprise"])
        if visit not in state["visits"]:
            fail(f"task {o['task']!r}, enterprise {o['enterprise']} is not a drawn visit")
        if o["category"] not in plan["categories"]:
            fail(f"unknown result category {o['category']!r}")
        date_of(o["date"], "inspection")
        for k in ("findings", "follow_up"):
            if o[k] is not None and not text_ok(o[k]):
                fail(f"{k} must be null or text without control characters but LF")
        cur = state["visits"][visit]
        c = o["corrects"]
        if c is None:
            if cur is not None:
                fail(f"the visit already has a result (line {cur[0]}); only a correction may "
                     "follow")
            corrects = None
        else:
            if not (isinstance(c, dict) and set(c) == {"line", "reason"}
                    and isinstance(c["line"], int) and text_ok(c["reason"])
                    and "\n" not in c["reason"]):
                fail("corrects must be null or {line, reason} with a one-line reason")
            if cur is None or cur[0] != c["line"]:
                fail(f"corrects names line {c['line']}, not the visit's current result")
            corrects = {"line": c["line"], "reason": c["reason"]}
        state["visits"][visit] = (line, o["date"])
        state["results"] += 1
        return {"event": "result", "task": o["task"], "enterprise": o["enterprise"],
                "category": o["category"], "date": o["date"], "findings": o["findings"],
                "follow_up": o["follow_up"], "corrects": corrects}
    if any(k not in o for k in ("date", "results", "findings_public")):
        fail("not a publication event (date, results, findings_public)")
    d = date_of(o["date"], "publication")
    if state["last_publication"] and d < state["last_publication"]:
        fail(f"the publication date {d} is before the previous one")
    if o["findings_public"] is not plan["publish_findings"]:
        fail("findings_public differs from the plan's results.publish_findings")
    res = o["results"]
    if not isinstance(res, list) or not all(isinstance(x, int) and not isinstance(x, bool)
                                            for x in res):
        fail("results must be a list of line numbers")
    if any(a >= b for a, b in zip(res, res[1:])):
        fail("the published result lines are not ascending")
    current = {cur[0]: cur[1] for cur in state["visits"].values() if cur is not None}
    for x in res:
        if x not in current:
            fail(f"line {x} is not the current result of a visit")
        if current[x] > d:
            fail(f"the result at line {x} is dated after the publication")
    state["last_publication"] = d
    return {"event": "publication", "date": d, "results": res,
            "findings_public": o["findings_public"]}

def canonical_json(v):
    """§6.1 canonical JSON (the spec's own Python equivalent)."""
    return json.dumps(v, ensure_ascii=False, separators=(",", ":"), sort_keys=True)

def header_event(plan, raw, digests, crate_version, seed=None, commit=None):
    """§6.2 header (operator-seed), or §9.1 commit header (commit = (entropy_source, commitment))."""
    h = {"event": "header", "spec": SPEC, "crate_version": crate_version,
         "plan": {"id": plan["id"], "title": plan["title"], "digest": sha256(raw).hex()},
         "inspection_date": plan["date"], "directories": digests,
         "tasks": [header_task(t) for t in plan["tasks"]]}
    if commit is None:
        return dict(h, mode="operator-seed", notice=NOTICE, seed=seed)
    return dict(h, mode="commit-reveal", entropy_source=commit[0], commitment=commit[1])

def header_task(task):
    """§6.2 one element of the header's `tasks`: the task's pool rules (§4.3) as the plan gives
    them (statuses canonical, in plan order)."""
    return {"id": task["id"], "scope": {"regions": task["regions"], "domains": task["domains"],
                                        "statuses": task["statuses"]},
            "exclude_inspected_within_days": task["exclude"]}

ENTROPY_KINDS = ("dice", "beacon", "stock-index", "other")

def entropy_source(src):
    """§9.1 the commit header's entropy_source: {kind, description}, kind from the set, the
    description one line of text (not empty or all White_Space, no control character)."""
    kind = src.get("kind") if isinstance(src, dict) else None
    desc = src.get("description") if isinstance(src, dict) else None
    if kind not in ENTROPY_KINDS or not isinstance(desc, str) or trim(desc) == "" \
            or has_control(desc):
        raise Failed("header (§9.1)", 1, f"entropy_source {src!r}: kind must be one of "
                     f"{', '.join(ENTROPY_KINDS)} and the description one line of text")
    return {"kind": kind, "description": desc}

def open_reveal(header_line, header, reveal):
    """§9.2: check the reveal against the commitment -> (reveal event, seed); line 2."""
    secret, entropy = reveal.get("secret"), reveal.get("entropy")
    if (reveal.get("event") != "reveal" or not isinstance(secret, str)
            or not re.fullmatch("[0-9a-f]{64}", secret) or not isinstance(entropy, str)):
        raise Failed("reveal (§9.2)", 2, "line 2 is not a reveal with a 64-hex secret and entropy")
    secret = bytes.fromhex(secret)
    if sha256(enc_str("dualdraw/v1/commitment") + secret).hex() != header.get("commitment"):
        raise Failed("commitment (§9.1-9.2)", 2, "the revealed secret does not open the "
                     "header's commitment")
    if not 1 <= len(entropy.encode()) <= 4096 or has_control(entropy) or trim(entropy) == "":
        raise Failed("reveal (§9.2)", 2, "entropy must be 1-4096 bytes of text, not all White_Space,"
                     " without control characters")
    seed = sha256(enc_str("dualdraw/v1/seed") + secret + enc_str(entropy)
                  + sha256(header_line)).hex()
    return {"event": "reveal", "secret": secret.hex(), "entropy": entropy, "seed": seed}, seed

def warning_events(enterprises, date):
    """§3, §6.2: per target in id order, a `future-inspection` warning if it was last inspected
    after the inspection date, then a `uscc-check` warning if its check character is wrong
    (by id, then code)."""
    out = []
    for e in enterprises:
        if e["last_inspected"] and e["last_inspected"] > date:  # YYYY-MM-DD compare as dates
            out.append({"event": "warning", "code": "future-inspection", "source": "targets",
                        "id": e["id"], "message": f"last inspected {e['last_inspected']}, after "
                        f"the inspection date {date}; a task with exclude_inspected_within_days "
                        "excludes it"})
        good = uscc_check_char(e["id"])
        if e["id"][17] != good:
            out.append({"event": "warning", "code": "uscc-check", "source": "targets",
                        "id": e["id"], "message": f"check character is \"{e['id'][17]}\" but "
                        f"GB 32100-2015 gives '{good}'; kept as an early pilot code"})
    return out

def draw_targets(plan, enterprises, seed):
    """§4.3-4.4, §5.1-5.2 (§7 step 6): per task (task, K, task event, target events)."""
    check_seed(seed)
    out = []
    for task in plan["tasks"]:
        key = task_key(seed, plan["id"], task["id"])
        pool, excluded = task_pool(task, enterprises, plan["date"])
        strata, targets = [], []
        for name, elig, req in sample_sizes(task, pool):
            if req > len(elig) and task["shortfall"] == "error":
                raise Failed("strata (§4.4)", 1, f"task {task['id']}, stratum {name}: "
                             f"requested {req} > eligible {len(elig)}")
            chosen = bottom_k(key, elig, min(req, len(elig)))
            strata.append({"stratum": name, "eligible": len(elig), "requested": req,
                           "drawn": len(chosen), "shortfall": req - len(chosen),
                           "cutoff": chosen[-1][0].hex() if chosen else None})
            targets += [{"event": "target", "task": task["id"], "stratum": name, "rank": r,
                         "id": eid, "ticket": t.hex()} for r, (t, eid) in enumerate(chosen, 1)]
        event = {"event": "task", "task": task["id"], "domain": task["domain"], "directed": task["directed"],
                 "sample": task["sample"]["log"], "shortfall_rule": task["shortfall"],
                 "team_rule": team_rule(task),
                 "exclude_inspected_within_days": task["exclude"], "excluded_recent": excluded,
                 "key": key.hex(), "strata": strata}
        out.append((task, key, event, targets))
        # (§7 step 6 ends here; the teams below are step 7)
    return out

def team_rule(task):
    """§6.2, §4.6 a task's team_rule."""
    r = {"size": task["size"], "experts": task["experts"]}
    if task["area"] != "any":
        r["area"] = task["area"]
    if task["joint"]:
        r["joint"] = [{"department": j["department"], "domain": j["domain"]}
                      for j in task["joint"]]
    return r

def draw_events(enterprises, officers, plan, drawn, apart=None):
    """§6.2 the events after the header (and reveal); §5.3-5.5 and §4.6 teams drawn here (§7
    step 7). Returns (events, team states for §9.3, cap)."""
    apart = apart or {"history": [], "rotation": {}, "recusal": {
        (r["enterprise"], r["officer"]) for r in plan["recusals"]}}
    events = warning_events(enterprises, plan["date"])
    events += [{"event": "history", "head": h} for h in apart["history"]]
    events += [{"event": "rotation", "enterprise": e, "officers": sorted(os)}
               for e, os in sorted(apart["rotation"].items(), key=lambda kv: kv[0].encode())]
    events += [{"event": "recusal", "enterprise": r["enterprise"], "officer": r["officer"],
                "reason": r["reason"]} for r in plan["recusals"]]
    records = {e["id"]: e for e in enterprises}
    teams, merge_of, states, cap = staff(plan, drawn, records, officers, apart)
    merges = list(merge_of.items())
    for task, key, task_event, targets in drawn:
        events += [task_event] + targets
        events += [{"event": "merge", "enterprise": e, "tasks": ts} for e, ts in merges
                   if ts[-1] == task["id"]]
        events += [teams[(task["id"], t["id"])] for t in targets]
    n = sum(len(d[3]) for d in drawn)
    events.append({"event": "footer", "tasks": len(plan["tasks"]), "targets": n, "teams": n,
                   "warnings": sum(e["event"] == "warning" for e in events)})
    return events, states, cap

# ---------------------------------------------------------------- §7 verification
def check_chain(data):
    """§7 step 1 -> (lines as bytes, parsed objects)."""
    if not data or not data.endswith(b"\n"):
        raise Failed("chain (§7.1)", max(1, data.count(b"\n") + 1), "log is empty or does not "
                     "end with LF")
    lines, objs, prev = data[:-1].split(b"\n"), [], ZERO64
    for i, line in enumerate(lines):
        try:
            obj = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise Failed("chain (§7.1)", i + 1, "not UTF-8 JSON") from None
        if not isinstance(obj, dict):
            raise Failed("chain (§7.1)", i + 1, "not a JSON object")
        if obj.get("prev") != prev:
            raise Failed("chain (§7.1)", i + 1, f"prev is {obj.get('prev')!r}, expected {prev} "
                         "(line edited, inserted, deleted or reordered here or just before)")
        seq = obj.get("seq")
        if not isinstance(seq, int) or isinstance(seq, bool) or seq != i:
            raise Failed("chain (§7.1)", i + 1, f"seq is {seq!r}, expected {i}")
        objs.append(obj)
        prev = leaf_hash(line).hex()
    return lines, objs

def read_head(log_path, head_arg):
    """§7 step 2: the published head (--head, else draw.head beside the log), or None.
    --head: 64 hex digits are a bare root; a text with a LF a checkpoint; else a checkpoint file.
    Returns a checkpoint dict (origin and size None for a bare root)."""
    if head_arg is not None:
        if re.fullmatch("[0-9a-fA-F]{64}", head_arg):
            return {"origin": None, "size": None, "root": bytes.fromhex(head_arg)}
        if "\n" in head_arg:
            return parse_checkpoint(head_arg.rstrip("\n") + "\n", "--head")
        return parse_checkpoint(read_file_text(head_arg), head_arg)
    side = Path(log_path).parent / "draw.head"
    if side.is_file():
        return parse_checkpoint(read_file_text(side), str(side))
    return None

def first_difference(a, b, path=""):
    """Describe where two JSON values differ (for a readable report)."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in byte_sorted(set(a) | set(b)):
            if k not in a or k not in b or a[k] != b[k]:
                if k in a and k in b:
                    return first_difference(a[k], b[k], f"{path}.{k}" if path else k)
                return f"member {k!r} {'missing' if k not in a else 'unexpected'}"
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            if x != y:
                return first_difference(x, y, f"{path}[{i}]")
    return f"{path or 'line'}: log has {json.dumps(a, ensure_ascii=False)}, expected " \
           f"{json.dumps(b, ensure_ascii=False)}"

CHECK_NAMES = {"header": "header (§6.2)", "warning": "warnings (§3, §6.2)",
               "task": "task key, pool and strata (§4.3-4.4, §5.1)",
               "target": "tickets and bottom-k (§5.2)", "team": "team draw (§5.3-5.5)",
               "footer": "footer (§6.2)", "reveal": "reveal (§9.2)",
               "replacement": "replacement (§9.3)", "history": "history (§6.2, §5.7)",
               "rotation": "rotation (§6.2, §5.7)", "recusal": "recusal (§6.2, §4.6)",
               "merge": "merge (§5.5, §6.2)", "result": "result (§11.1)",
               "publication": "publication (§11.1)"}

def converted_by(data):
    """§7 inputs: CRLF at the end of every line, or a byte-order mark in front (an input
    error, not a forgery); None for bytes that were not converted."""
    bom = data.startswith(b"\xef\xbb\xbf")
    lfs = [i for i, b in enumerate(data) if b == 0x0A]
    crlf = bool(lfs) and all(i > 0 and data[i - 1] == 0x0D for i in lfs)
    return {(True, True): "CRLF line ends and a byte-order mark", (True, False): "CRLF line ends",
            (False, True): "a byte-order mark"}.get((crlf, bom))


def verify(log_path, plan_path, head_arg=None):
    """§7 steps 1-8. Returns a summary string; raises Failed or BadInput."""
    try:
        data = Path(log_path).read_bytes()
    except OSError as e:
        raise BadInput(f"{log_path}: {e}") from None
    # A copy converted on download (a BOM, every line CRLF) is an input error, not a forgery.
    converted = converted_by(data)
    if converted:
        raise BadInput(f"{log_path}: this log was converted ({converted}), as a Windows download"
                       f" or git's autocrlf does; re-download it, or convert it back with"
                       f" `dos2unix {log_path}`")
    head = read_head(log_path, head_arg)
    plan, raw = load_plan(plan_path)
    officers = read_directory(plan["officers"], OFFICER_COLUMNS)
    enterprises = read_directory(plan["targets"], TARGET_COLUMNS)
    lines, objs = check_chain(data)                                        # step 1
    root = merkle_head(lines)
    if head is not None and head["root"] != root:                           # step 2
        raise Failed("head (§7.2)", len(lines), f"the tree head over the lines is {root.hex()},"
                     f" published head is {head['root'].hex()} (log truncated, extended or edited)")
    h = objs[0]                                                            # step 3
    if head is not None and head["origin"] is not None:
        p = h.get("plan") if isinstance(h.get("plan"), dict) else {}
        origin = origin_for(p.get("id"), str(p.get("digest")))
        if (head["origin"], head["size"]) != (origin, len(lines)):
            raise Failed("head (§7.2)", len(lines), f"checkpoint says origin {head['origin']!r} "
                         f"and size {head['size']}; the log gives {origin!r} and {len(lines)}")
    if h.get("event") != "header" or h.get("spec") != SPEC:
        raise Failed("header (§7.3)", 1, f"not a {SPEC} header")
    got = (h.get("plan") or {}).get("digest") if isinstance(h.get("plan"), dict) else None
    if got != sha256(raw).hex():                                           # step 4
        raise Failed("plan digest (§4.5)", 1, f"log has {got!r}, plan file hashes to "
                     f"{sha256(raw).hex()}")
    dirs = h.get("directories") if isinstance(h.get("directories"), dict) else {}
    digests = {"targets": directory_digest(enterprises, enterprise_record, "targets"),
               "officers": directory_digest(officers, officer_record, "officers")}
    if dirs.get("officers") != digests["officers"]:                        # step 5
        raise Failed("officer directory digest (§3.3)", 1, f"log has {dirs.get('officers')}, "
                     f"directory gives {digests['officers']}")
    version, mode, seed = h.get("crate_version"), h.get("mode"), None     # step 6
    if not isinstance(version, str):
        raise Failed("header (§7.6)", 1, "crate_version is not a string")
    if mode == "operator-seed":
        seed = h.get("seed")
        if not isinstance(seed, str):
            raise Failed("header (§7.6)", 1, "seed is not a string")
        events = [header_event(plan, raw, digests, version, seed=seed)]
    elif mode == "commit-reveal":
        commit = (entropy_source(h.get("entropy_source")), h.get("commitment"))
        events = [header_event(plan, raw, digests, version, commit=commit)]
        if len(lines) > 1:  # else a commitment not yet drawn: the header alone is checked
            reveal, seed = open_reveal(lines[0], h, objs[1])
            events.append(reveal)
    else:
        raise Failed("header (§7.6)", 1, f"unknown mode {mode!r}")
    drawn = failure = None
    if seed is not None:
        try:
            drawn = draw_targets(plan, enterprises, seed)
        except (Failed, BadInput) as e:
            failure = e
    if dirs.get("targets") != digests["targets"]:                          # step 7
        raise Failed("target directory digest (§3.3)", 1, f"log has {dirs.get('targets')}, "
                     f"directory gives {digests['targets']}")
    if failure is not None:
        raise Failed("re-run of the target draw (§7.6)", 1, str(failure))
    teams, cap = {}, 0
    depts = {o["id"]: o["department"] for o in officers}
    if drawn is not None:
        # Rotation pairs and their sources as the log records them (§6.2, §5.7).
        apart = {"history": [], "rotation": {}, "recusal": {(r["enterprise"], r["officer"])
                                                           for r in plan["recusals"]}}
        for o in (objs if mode == "operator-seed" else []):  # §5.7: rehearsals only
            if o.get("event") == "history" and isinstance(o.get("head"), str):
                apart["history"].append(o["head"])
            elif o.get("event") == "rotation" and isinstance(o.get("enterprise"), str) \
                    and isinstance(o.get("officers"), list):
                apart["rotation"].setdefault(o["enterprise"], set()).update(
                    x for x in o["officers"] if isinstance(x, str))
        try:
            more, teams, cap = draw_events(enterprises, officers, plan, drawn, apart)
        except Failed as e:
            raise Failed("re-run of the team draw (§5.5)", 1, str(e)) from None
        events += more
    prev = ZERO64                                                          # step 8
    state = {"visits": {k: None for k in teams} if seed is not None else {}, "results": 0,
             "last_publication": None}
    for i in range(max(len(lines), len(events))):
        if i >= len(events) and seed is not None:  # §9.3, §11.1: the lines after the footer
            if objs[i].get("event") in ("result", "publication"):
                events.append(result_event(objs[i], state, plan, i + 1))
            else:
                events.append(replacement_event(objs[i], teams, i + 1, cap, depts,
                                                 plan["public_reasons"]))
        if i >= len(lines) or i >= len(events):
            raise Failed("regenerated log (§7.8)", i + 1, f"log has {len(lines)} lines, the "
                         f"inputs give {len(events)}")
        want_line = canonical_json(dict(events[i], seq=i, prev=prev)).encode()
        if lines[i] != want_line:
            exp_obj = json.loads(want_line)
            why = ("not canonical JSON (§6.1)" if objs[i] == exp_obj
                   else first_difference(objs[i], exp_obj))
            raise Failed(CHECK_NAMES[events[i]["event"]] + " / regenerated log (§7.8)", i + 1,
                         why)
        prev = leaf_hash(want_line).hex()
    n_rep = sum(e["event"] == "replacement" for e in events)
    footer = next(e for e in reversed(events) if e["event"] in ("footer", "header"))
    what = (f"{len(plan['tasks'])} tasks, {footer.get('targets')} targets, "
            f"{n_rep} replacements, {state['results']} results, seed {seed!r}"
            if seed is not None
            else "a commitment not yet drawn")
    return (f"verified ({mode}): {len(lines)} lines, {what}, head {root.hex()}"
            + ("" if head else " (no published head: truncation is not excluded)"))

# ---------------------------------------------------------------- §10.3 per-enterprise proofs
PROOF_FORMAT = "dualdraw-proof/4"
PROOF_KEYS = ["format", "checkpoint", "covers", "record", "leaf_index", "record_path", "lines",
              "lines_proof"]
RECORD_KEYS = ["id", "name", "region", "domains", "credit_class", "status", "last_inspected"]
COVERS = "inclusion/2"
COVERS_TEXT = ("These log lines are in the log of the checkpoint at their positions (a multi-leaf RFC 9162 inclusion proof). Inclusion alone does not show that the log has no other line about this enterprise: a second target or team line, or a replacement of its team not listed here, before or after the checkpoint's tree size; nor that the header's task rules and plan digest are the published plan's, or that the task lines' counts and cutoffs are right for the whole directory. `dualdraw verify` with the full log, the plan and the directories shows those; a later checkpoint needs a new proof.")
# §10.2 residuals: the members the checker derives (besides `seq` and, where derivable, `prev`)
# and the members written as base64 hashes (besides `prev` and a task's stratum cutoffs).
DERIVED = {"header": ("spec", "notice"), "reveal": (),
           "task": ("task", "key", "directed", "exclude_inspected_within_days"),
           "target": ("task", "id", "ticket"), "team": ("task", "enterprise", "leader"),
           "replacement": ("enterprise",)}
HASH_PATHS = {"header": (("plan", "digest"), ("directories", "officers", "head"),
                         ("directories", "targets", "head"), ("commitment",)),
              "reveal": (("secret",), ("seed",)), "replacement": (("reason", "commitment"),)}

def b64(s):
    """RFC 4648 §4 base64, canonical (re-encodes to itself) -> bytes, else None."""
    import base64, binascii
    if not isinstance(s, str):
        return None
    try:
        b = base64.b64decode(s, validate=True)
    except (binascii.Error, ValueError):
        return None
    return b if base64.b64encode(b).decode() == s else None

def b64_hashes(s):
    """§10.2 *hashes*: zero or more 32-byte hashes concatenated, canonical base64 -> list."""
    b = b64(s)
    if b is None or len(b) % 32:
        return None
    return [b[i:i + 32] for i in range(0, len(b), 32)]

def b64_text(b):
    import base64
    return base64.b64encode(b).decode()

def split_point(n):
    """§10.2: the largest power of two smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)

def mpath_len(idx, lo, n):
    if n <= 1 or not idx:
        return 0
    k = split_point(n)
    left = [i for i in idx if i < lo + k]
    right = [i for i in idx if i >= lo + k]
    if not right:
        return mpath_len(left, lo, k) + 1
    if not left:
        return mpath_len(right, lo + k, n - k) + 1
    return mpath_len(left, lo, k) + mpath_len(right, lo + k, n - k)

def verify_multi_inclusion(leaves, size, proof, root):
    """§10.2: leaves [(index, leaf hash)] in strictly increasing index order, all below size,
    are in the tree of `size` leaves with head `root` by MPATH -> bool."""
    idx = [i for i, _ in leaves]
    if not leaves or any(not isinstance(i, int) or i < 0 or i >= size for i in idx) \
            or any(a >= b for a, b in zip(idx, idx[1:])) or len(proof) != mpath_len(idx, 0, size):
        return False
    it = iter(proof)
    def walk(ls, lo, n):
        if n == 1:
            return ls[0][1]
        k = split_point(n)
        left = [l for l in ls if l[0] < lo + k]
        right = [l for l in ls if l[0] >= lo + k]
        if not right:
            return node_hash(walk(left, lo, k), next(it))
        if not left:
            r = walk(right, lo + k, n - k)
            return node_hash(next(it), r)
        return node_hash(walk(left, lo, k), walk(right, lo + k, n - k))
    return walk(leaves, 0, size) == root

class _Obj(dict):
    """A JSON object as read; `dup` says whether a key appeared twice (§10.3 step 1 / 9)."""
    dup = False

def _pairs(pairs):
    o = _Obj(pairs)
    o.dup = len(o) != len(pairs)
    return o

def _no_constant(name):
    raise ValueError(f"{name} is not JSON")

def _utf8_strings(v):
    """Every string (and key) encodes as UTF-8 (no lone surrogate from a \\u escape)."""
    if isinstance(v, str):
        v.encode("utf-8")
    elif isinstance(v, list):
        for x in v:
            _utf8_strings(x)
    elif isinstance(v, dict):
        for k, x in v.items():
            k.encode("utf-8")
            _utf8_strings(x)

def is_u64(v):
    return isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 2**64

def is_str_list(v):
    return isinstance(v, list) and all(isinstance(x, str) for x in v)

def is_iso_date(v):
    """A valid date written YYYY-MM-DD (§1), years 0001-9999."""
    if not (isinstance(v, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", v)):
        return False
    try:
        return parse_date(v) == v
    except ValueError:
        return False

def read_proof(proof_path):
    """§10.3 step 1: UTF-8 JSON of the shape of §10.2 (else BadInput, exit 2) -> (text, dict)."""
    try:
        data = Path(proof_path).read_bytes()
    except OSError as e:
        raise BadInput(f"{proof_path}: {e}") from None
    converted = converted_by(data)  # §7 "Converted logs": the same holds for a proof file
    if converted:
        raise BadInput(f"{proof_path}: this proof was converted ({converted}), as a Windows "
                       f"download or git's autocrlf does; re-download it, or convert it back "
                       f"with `dos2unix {proof_path}`")
    try:
        text = data.decode("utf-8")
        p = json.loads(text, object_pairs_hook=_pairs, parse_constant=_no_constant)
        _utf8_strings(p)
    except (UnicodeError, ValueError) as e:
        raise BadInput(f"{proof_path}: not UTF-8 JSON ({e})") from None
    def shape(ok, what):
        if not ok:
            raise BadInput(f"{proof_path}: not a proof of the shape of §10.2: {what}")
    shape(isinstance(p, dict) and not p.dup and set(p) == set(PROOF_KEYS),
          f"an object with exactly the members {', '.join(PROOF_KEYS)}")
    for k in ("format", "checkpoint", "covers", "record_path", "lines_proof"):
        shape(isinstance(p[k], str), f"{k} must be a string")
    r = p["record"]
    shape(isinstance(r, dict) and not r.dup and set(r) == set(RECORD_KEYS)
          and all(isinstance(r[k], str) for k in RECORD_KEYS if k != "domains")
          and is_str_list(r["domains"]),
          f"record must be an object of the strings {', '.join(RECORD_KEYS)} (domains a list)")
    shape(is_u64(p["leaf_index"]), "leaf_index must be an integer 0 <= n < 2^64")
    shape(isinstance(p["lines"], list) and all(
        isinstance(l, dict) and not l.dup and set(l) == {"seq", "line"} and is_u64(l["seq"])
        for l in p["lines"]), "lines must be a list of {seq, line}, seq an integer")
    return text, p

def has_dup(v):
    if isinstance(v, dict):
        return getattr(v, "dup", False) or any(has_dup(x) for x in v.values())
    if isinstance(v, list):
        return any(has_dup(x) for x in v)
    return False

def _convert(obj, event, f):
    """Applies f (base64 <-> hex) to every hash member of an event that is a string (§10.2)."""
    paths = [("prev",)] + list(HASH_PATHS.get(event, ()))
    if event == "task" and isinstance(obj.get("strata"), list):
        paths += [("strata", i, "cutoff") for i in range(len(obj["strata"]))]
    for path in paths:
        holder = obj
        for k in path[:-1]:
            if isinstance(holder, dict) and isinstance(k, str):
                holder = holder.get(k)
            elif isinstance(holder, list) and isinstance(k, int):
                holder = holder[k]
            else:
                holder = None
        if isinstance(holder, dict) and isinstance(holder.get(path[-1]), str):
            holder[path[-1]] = f(holder[path[-1]])

def _deep_copy(v):
    return json.loads(json.dumps(v))

def residual_of(obj, prev_carried):
    """§10.2: the residual of a (restored) line: its derived members removed, hashes in base64."""
    r = _deep_copy(obj)
    event = r.get("event")
    if r.pop("seq", None) == 0 or prev_carried:
        r.pop("prev", None)
    for k in DERIVED.get(event, ()):
        r.pop(k, None)
    _convert(r, event, lambda h: b64_text(bytes.fromhex(h)) if is_hash(h) else h)
    return r

class ProofFailed(Failed):
    """A §10.3 check failed: exit code 1, naming the step."""

    def __init__(self, step, message):
        Exception.__init__(self, f"{step}: {message}")

def pool_reason(task, e, date):
    """§4.3 the enterprise's place in a task's pool, from the header's `tasks` element, and the
    §10.4 text -> (pool, text, stratum-less eligible?)."""
    sc = task["scope"]
    regions, domains, statuses = sc["regions"], sc["domains"], sc["statuses"]
    lst = lambda xs: "[" + ", ".join(xs) + "]"
    fails = []
    if regions and not any(region_matches(f, e["region"]) for f in regions):
        fails.append(f"region {e['region']} is not covered by scope.regions {lst(regions)}")
    if domains and not set(domains) & set(e["domains"]):
        fails.append(f"its domains {lst(e['domains'])} include none of scope.domains "
                     f"{lst(domains)}")
    if not statuses and e["status"] not in ("active", "abnormal"):
        fails.append(f"status {e['status']} is neither active nor abnormal (the default scope)")
    elif statuses and e["status"] not in statuses:
        fails.append(f"status {e['status']} is not among scope.statuses {lst(statuses)}")
    if fails:
        return "out-of-scope", "out of scope: " + "; ".join(fails)
    n, last = task["exclude_inspected_within_days"], e["last_inspected"]
    if n is not None and last:
        d = date_number(date) - date_number(last)
        when = f"{d} days before" if d >= 0 else f"{-d} days after"
        if d < n:
            return "recently-inspected", (f"recently inspected: last inspected {last}, {when} "
                                          f"the inspection date {date}; the task excludes "
                                          f"enterprises inspected within {n} days")
        return "eligible", (f"last inspected {last}, {when} the inspection date {date}, not "
                            f"within {n} days")
    if n is None:
        return "eligible", "the task excludes no recently inspected enterprise"
    return "eligible", (f"no earlier inspection on record (the task excludes those inspected "
                        f"within {n} days)")

def _header_ok(h):
    """§6.2 (§9.1): a restored header line reads as a header of this version."""
    common = {"event", "spec", "crate_version", "mode", "plan", "inspection_date", "directories",
              "tasks", "seq", "prev"}
    mode = h.get("mode")
    extra = {"operator-seed": {"notice", "seed"},
             "commit-reveal": {"entropy_source", "commitment"}}.get(
                 mode if isinstance(mode, str) else None)
    if extra is None:
        return f"mode {mode!r} is neither operator-seed nor commit-reveal"
    if set(h) != common | extra:
        return f"members {sorted(h)}, need {sorted(common | extra)}"
    if h["spec"] != SPEC or not isinstance(h["crate_version"], str):
        return f"not a {SPEC} header"
    if mode == "operator-seed" and not (h["notice"] == NOTICE and isinstance(h["seed"], str)):
        return "an operator-seed header needs the notice and a seed"
    if mode == "commit-reveal":
        src = h["entropy_source"]
        if not (isinstance(src, dict) and set(src) == {"kind", "description"}
                and src["kind"] in ENTROPY_KINDS and isinstance(src["description"], str)
                and is_hash(h["commitment"])):
            return "a commit header needs entropy_source {kind, description} and a commitment"
    p = h["plan"]
    if not (isinstance(p, dict) and set(p) == {"id", "title", "digest"}
            and isinstance(p["id"], str) and isinstance(p["title"], str)
            and is_hash(p["digest"])):
        return "plan must be {id, title, digest}"
    if not is_iso_date(h["inspection_date"]):
        return "inspection_date is not a YYYY-MM-DD date"
    d = h["directories"]
    if not (isinstance(d, dict) and set(d) == {"targets", "officers"} and all(
            isinstance(d[k], dict) and set(d[k]) == {"head", "count", "supplied"}
            and is_hash(d[k]["head"]) and is_u64(d[k]["count"]) and is_str_list(d[k]["supplied"])
            for k in d)):
        return "directories must be {targets, officers} of {head, count, supplied}"
    ts = h["tasks"]
    if not (isinstance(ts, list) and ts and all(
            isinstance(t, dict) and set(t) == {"id", "scope", "exclude_inspected_within_days"}
            and isinstance(t["id"], str) and isinstance(t["scope"], dict)
            and set(t["scope"]) == {"regions", "domains", "statuses"}
            and all(is_str_list(t["scope"][k]) for k in t["scope"])
            and all(s in ("active", "abnormal", "closed") for s in t["scope"]["statuses"])
            and (t["exclude_inspected_within_days"] is None
                 or is_u64(t["exclude_inspected_within_days"])) for t in ts)):
        return "tasks must be a list of {id, scope {regions, domains, statuses}, " \
               "exclude_inspected_within_days}"
    if len({t["id"] for t in ts}) != len(ts):
        return "two tasks have the same id"
    return None

def _event_ok(o):
    """§6.2 (§9.2, §9.3): a restored reveal, task, target, team or replacement line reads as
    its event -> None, or what is wrong."""
    ev = o.get("event")
    keys = {"reveal": {"secret", "entropy", "seed"},
            "task": {"task", "domain", "directed", "sample", "shortfall_rule", "team_rule",
                     "exclude_inspected_within_days", "excluded_recent", "key", "strata"},
            "target": {"task", "stratum", "rank", "id", "ticket"},
            "team": {"task", "enterprise", "leader", "officers", "experts", "eligible_officers",
                     "eligible_experts"},
            "replacement": {"task", "enterprise", "out", "in", "reason", "order_position"}}[ev]
    want = keys | {"event", "seq", "prev"}
    if set(o) != want:
        return f"a {ev} line has the members {sorted(o)}, need {sorted(want)}"
    if not is_hash(o["prev"]):
        return "prev is not a hash"
    ok = True
    if ev == "reveal":
        ok = is_hash(o["secret"]) and isinstance(o["entropy"], str) and is_hash(o["seed"])
    elif ev == "task":
        ok = (isinstance(o["domain"], str) and isinstance(o["directed"], bool)
              and isinstance(o["sample"], dict) and o["shortfall_rule"] in ("error", "take-all")
              and isinstance(o["team_rule"], dict) and is_u64(o["excluded_recent"])
              and isinstance(o["strata"], list) and all(
                  isinstance(s, dict) and set(s) == {"stratum", "eligible", "requested", "drawn",
                                                     "shortfall", "cutoff"}
                  and isinstance(s["stratum"], str)
                  and all(is_u64(s[k]) for k in ("eligible", "requested", "drawn", "shortfall"))
                  and (s["cutoff"] is None or is_hash(s["cutoff"])) for s in o["strata"]))
    elif ev == "target":
        ok = isinstance(o["stratum"], str) and is_u64(o["rank"])
    elif ev == "team":
        ok = (is_str_list(o["officers"]) and o["officers"] and is_str_list(o["experts"])
              and is_u64(o["eligible_officers"]) and is_u64(o["eligible_experts"]))
    elif ev == "replacement":
        ok = isinstance(o["task"], str) and isinstance(o["out"], str) and isinstance(
            o["in"], str) and is_u64(o["order_position"])
        try:
            check_reason(o["reason"], "text" in (o["reason"] or {}))
        except (ValueError, TypeError):
            ok = False
    return None if ok else f"a {ev} line whose members do not read as §6.2 says"

def check_proof(proof_path, checkpoint_arg):
    """§10.3 for dualdraw-proof/4 with the checkpoint alone (no plan, log or directory): every
    step in order; returns what the proof shows (§10.2's derived values, §10.4's texts)."""
    if re.fullmatch("[0-9a-fA-F]{64}", checkpoint_arg):
        raise BadInput("give the checkpoint, not only its root: inclusion needs the tree size")
    cp = (parse_checkpoint(checkpoint_arg.rstrip("\n") + "\n", "--head") if "\n" in checkpoint_arg
          else parse_checkpoint(read_file_text(checkpoint_arg), checkpoint_arg))
    text, p = read_proof(proof_path)                                      # step 1
    def fail(step, why):
        raise ProofFailed(step, why)
    S2, S3, S4, S5, S6, S7, S8, S9 = (
        "format and checkpoint (§10.3 step 2)", "record (§10.3 step 3)",
        "restore the lines (§10.3 step 4)", "inclusion of the lines (§10.3 step 5)",
        "inclusion of the record (§10.3 step 6)", "tasks (§10.3 step 7)",
        "nothing else (§10.3 step 8)", "canonical form (§10.3 step 9)")
    if p["format"] != PROOF_FORMAT:                                       # step 2
        fail(S2, f"format is {p['format']!r}, not {PROOF_FORMAT}")
    if p["checkpoint"] != checkpoint_text(cp):
        fail(S2, "the proof is for another checkpoint")
    if p["covers"] != COVERS:
        fail(S2, f"covers is {p['covers']!r}, not {COVERS}")
    e = {k: p["record"][k] for k in RECORD_KEYS}                          # step 3
    if e["credit_class"] not in ("", "A", "B", "C", "D"):
        fail(S3, f"credit_class {e['credit_class']!r} is not \"\" or A-D")
    if e["status"] not in ("active", "abnormal", "closed"):
        fail(S3, f"status {e['status']!r} is not active, abnormal or closed")
    if e["last_inspected"] != "" and not is_iso_date(e["last_inspected"]):
        fail(S3, f"last_inspected {e['last_inspected']!r} is not \"\" or a YYYY-MM-DD date")
    record = enterprise_record(e)
    lines = p["lines"]                                                    # step 4
    seqs = [l["seq"] for l in lines]
    if not lines:
        fail(S4, "no lines")
    if any(a >= b for a, b in zip(seqs, seqs[1:])):
        fail(S4, f"the seqs {seqs} do not increase strictly")
    carried = set(seqs)
    restored = {}  # seq -> (line bytes, object)
    kept = []      # members a residual keeps that the checker derives (step 9)

    def restore(l, derived):
        seq, res = l["seq"], l["line"]
        if not isinstance(res, dict) or not isinstance(res.get("event"), str):
            fail(S4, f"seq {seq}: the residual is not an object with a string event")
        event = res["event"]
        removed = ["seq"] + (["prev"] if seq == 0 or seq - 1 in carried else []) \
            + list(DERIVED.get(event, ()))
        # A member the checker derives is overwritten here and caught by step 9 (the residual
        # re-made from the restored line lacks it), as §10.2 says.
        kept.extend(f"{k} (seq {seq})" for k in removed if k in res)
        obj = _deep_copy(res)

        def hexed(s):
            h = b64(s)
            if h is None or len(h) != 32:
                fail(S4, f"seq {seq}: {s!r} is not a hash in canonical base64")
            return h.hex()
        _convert(obj, event, hexed)
        obj["seq"] = seq
        if seq == 0:
            obj["prev"] = ZERO64
        elif seq - 1 in carried:
            obj["prev"] = leaf_hash(restored[seq - 1][0]).hex()
        obj.update(derived)
        if event == "team":
            if not (isinstance(obj.get("officers"), list) and obj["officers"]):
                fail(S4, f"seq {seq}: a team without officers")
            obj["leader"] = obj["officers"][0]
        line = canonical_json(obj).encode()
        restored[seq] = (line, obj)
        return obj

    if seqs[0] != 0 or not isinstance(lines[0]["line"], dict) \
            or lines[0]["line"].get("event") != "header":
        fail(S4, "the first line is not the header (seq 0)")
    mode = lines[0]["line"].get("mode")
    h = restore(lines[0], {"spec": SPEC, **({"notice": NOTICE} if mode == "operator-seed"
                                            else {})})
    why = _header_ok(h)
    if why:
        fail(S4, f"seq 0: {why}")
    rest = lines[1:]
    if mode == "operator-seed":
        seed = h["seed"]
    else:
        if not rest or rest[0]["seq"] != 1 or not isinstance(rest[0]["line"], dict) \
                or rest[0]["line"].get("event") != "reveal":
            fail(S4, "a commit-reveal proof carries the reveal at seq 1")
        rv = restore(rest[0], {})
        why = _event_ok(rv)
        if why:
            fail(S4, f"seq 1: {why}")
        secret = bytes.fromhex(rv["secret"])
        if sha256(enc_str("dualdraw/v1/commitment") + secret).hex() != h["commitment"]:
            fail(S4, "the revealed secret does not open the header's commitment")
        ent = rv["entropy"]
        if not 1 <= len(ent.encode()) <= 4096 or has_control(ent) or trim(ent) == "":
            fail(S4, "seq 1: the entropy is not one §9.2 accepts (1-4096 bytes of text, not all "
                     "White_Space, without control characters)")
        seed = sha256(enc_str("dualdraw/v1/seed") + secret + enc_str(rv["entropy"])
                      + sha256(restored[0][0])).hex()
        if rv["seed"] != seed:
            fail(S4, "the reveal's seed is not the one derived from the secret and entropy")
        rest = rest[1:]
    date, plan_id = h["inspection_date"], h["plan"]["id"]
    pools = [(t, *pool_reason(t, e, date)) for t in h["tasks"]]
    elig = [t for t, pool, _ in pools if pool == "eligible"]
    keys = {t["id"]: task_key(seed, plan_id, t["id"]) for t in h["tasks"]}
    task_at, current = {}, None   # seq of a task line -> header task; the current task
    for l in rest:
        res = l["line"]
        event = res.get("event") if isinstance(res, dict) else None
        if event not in ("task", "target", "team", "replacement"):
            fail(S4, f"seq {l['seq']}: the residual's event is {event!r}, not task, target, "
                 "team or replacement")
        if event == "task":
            if len(task_at) >= len(elig):
                fail(S4, f"seq {l['seq']}: more task lines than tasks where {e['id']} is "
                     f"eligible ({len(elig)})")
            current = elig[len(task_at)]
            task_at[l["seq"]] = current
            tid = current["id"]
            o = restore(l, {"task": tid, "key": keys[tid].hex(),
                            "directed": any(current["scope"].values()),
                            "exclude_inspected_within_days":
                                current["exclude_inspected_within_days"]})
        elif event in ("target", "team"):
            if current is None:
                fail(S4, f"seq {l['seq']}: a {event} line before any task line")
            tid = current["id"]
            o = restore(l, {"task": tid, "id": e["id"], "ticket": ticket(keys[tid], e["id"]).hex()}
                        if event == "target" else {"task": tid, "enterprise": e["id"]})
        else:
            o = restore(l, {"enterprise": e["id"]})
        why = _event_ok(o)
        if why:
            fail(S4, f"seq {l['seq']}: {why}")
    lp = b64_hashes(p["lines_proof"])                                     # step 5
    if lp is None:
        fail(S5, "lines_proof is not hashes in canonical base64")
    leaves = [(s, leaf_hash(restored[s][0])) for s in seqs]
    if not verify_multi_inclusion(leaves, cp["size"], lp, cp["root"]):
        fail(S5, "the restored lines are not in the checkpoint's log at their seqs")
    t = h["directories"]["targets"]                                       # step 6
    path = b64_hashes(p["record_path"])
    if path is None:
        fail(S6, "record_path is not hashes in canonical base64")
    if not verify_inclusion(p["leaf_index"], t["count"], leaf_hash(record), path,
                            bytes.fromhex(t["head"])):
        fail(S6, "the record is not leaf leaf_index of the header's target directory")
    if len(task_at) != len(elig):                                         # step 7
        fail(S7, f"{len(task_at)} task lines carried; {e['id']} is eligible in "
             f"{len(elig)} tasks ({', '.join(t['id'] for t in elig) or 'none'})")
    objs = [(s, restored[s][1]) for s in seqs]
    task_seqs = sorted(task_at)
    needed = {0} | ({1} if mode == "commit-reveal" else set()) | set(task_seqs)
    report = []
    for task, pool, why in pools:
        tid = task["id"]
        key = keys[tid]
        tk = ticket(key, e["id"]).hex()
        if pool != "eligible":
            report.append(f"task {tid}: key {key.hex()}, ticket {tk}; pool {pool} ({why}); "
                          "verdict not-eligible")
            continue
        tseq = next(s for s, x in task_at.items() if x is task)
        nxt = [s for s in task_seqs if s > tseq]
        block = [(s, o) for s, o in objs if tseq < s < (nxt[0] if nxt else float("inf"))]
        tl = restored[tseq][1]
        mine = [(s, o) for s, o in block if o["event"] == "target"]
        teams = [(s, o) for s, o in block if o["event"] == "team"]
        c = f"task {tid}"
        if len(mine) > 1 or len(teams) > 1:
            fail(S7, f"{c}: more than one target or team line")
        name = ("none" if not e["credit_class"] else e["credit_class"]) \
            if "by_class" in tl["sample"] else "all"
        st = [x for x in tl["strata"] if x["stratum"] == name]
        if len(st) != 1:
            fail(S7, f"{c}: the task line has {len(st)} strata named {name}, need exactly one")
        st = st[0]
        cut = st["cutoff"]
        if (cut is None) != (st["drawn"] == 0):
            fail(S7, f"{c}: cutoff {cut} and drawn {st['drawn']} disagree")
        out = (f"task {tid} (task line seq {tseq}): key {key.hex()}, ticket {tk}; pool eligible "
               f"(eligible in stratum {name}: in scope; {why}); stratum {name} (eligible "
               f"{st['eligible']}, requested {st['requested']}, drawn {st['drawn']}, cutoff "
               f"{cut}); verdict ")
        by_cut = cut is not None and tk <= cut
        if by_cut != bool(mine):
            fail(S7, f"{c}: ticket {tk} vs cutoff {cut}: the proof "
                 + ("carries no target line" if by_cut else "carries a target line"))
        if not by_cut:
            if teams:
                fail(S7, f"{c}: a team line for an enterprise not drawn")
            report.append(out + "not-drawn (the ticket is above the cutoff)")
            continue
        (tq, tg) = mine[0]
        if tg["stratum"] != name:
            fail(S7, f"{c}: the target line's stratum is {tg['stratum']!r}, not {name}")
        if not 1 <= tg["rank"] <= st["drawn"]:
            fail(S7, f"{c}: rank {tg['rank']} is not within 1..{st['drawn']}")
        if (tg["rank"] == st["drawn"]) != (tk == cut):
            fail(S7, f"{c}: rank {tg['rank']} of {st['drawn']}, but the ticket "
                 + ("is" if tk == cut else "is not") + " the cutoff")
        if not teams:
            fail(S7, f"{c}: drawn, but no team line")
        mq, m = teams[0]
        reps = [(s, o) for s, o in objs if o["event"] == "replacement" and o["task"] == tid]
        now, shown = list(m["officers"]), []
        for s, r in reps:
            if r["out"] not in now:
                fail(S7, f"{c}: the replacement at seq {s} takes out {r['out']}, not on the "
                     f"team {now}")
            now[now.index(r["out"])] = r["in"]
            shown.append(f"seq {s}: {r['out']} out, {r['in']} in, reason "
                         f"{canonical_json(r['reason'])}")
        needed.update([tq, mq] + [s for s, _ in reps])
        out += (f"drawn: rank {tg['rank']} (target line seq {tq}, team line seq {mq}); leader "
                f"{m['leader']}, officers {', '.join(m['officers'])}, experts "
                f"{', '.join(m['experts']) or 'none'}")
        if reps:
            out += f"; replacements: {'; '.join(shown)}; officers now {', '.join(now)}"
        report.append(out)
    if carried != needed:                                                 # step 8
        fail(S8, f"the proof carries lines {sorted(carried - needed)} that §10.2 does not list "
             f"for {e['id']}")
    prev_carried = lambda s: s - 1 in carried                             # step 9
    remade = {"format": p["format"], "checkpoint": p["checkpoint"], "covers": p["covers"],
              "record": e, "leaf_index": p["leaf_index"],
              "record_path": b64_text(b"".join(path)),
              "lines": [{"seq": s, "line": residual_of(restored[s][1], prev_carried(s))}
                        for s in seqs],
              "lines_proof": b64_text(b"".join(lp))}
    canon = json.dumps(remade, ensure_ascii=False, separators=(",", ":"))
    if kept:
        fail(S9, f"a residual keeps members the checker derives: {', '.join(kept)}")
    if has_dup(p) or text not in (canon, canon + "\n"):
        fail(S9, "the file is not the canonical form of the proof made from what it carries "
             "(re-formatted, or a residual keeps a member the checker derives)")
    return (f"proof checks against the checkpoint (tree size {cp['size']}, {mode}): "
            f"{e['id']} {e['name']} (leaf {p['leaf_index']} of {t['count']})\n"
            + "\n".join(report) + f"\nNOT SHOWN by this proof: {COVERS_TEXT}")

# ---------------------------------------------------------------- self-test (RFC 8439, §8)
def self_test():
    k0 = bytes(32)
    assert chacha20_block(bytes(range(32)), 1, bytes.fromhex("000000090000004a00000000")).hex() \
        == ("10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e"
            "d2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e"), "RFC 8439 2.3.2"
    assert chacha20_block(k0, 0, bytes(12)).hex() == (
        "76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7"
        "da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586"), "RFC 8439 A.1 #1"
    assert chacha20_block(k0, 1, bytes(12)).hex() == (
        "9f07e7be5551387a98ba977c732d080dcb0f29a048e3656912c6533e32ee7aed"
        "29b721769ce64e43d57133b074d839d531ed1f28510afb45ace10a1f4b794d6f"), "RFC 8439 A.1 #2"
    key = task_key("2020-10-15 rehearsal", "TJ-GXJ-2020-SSJ", "radio")
    assert key.hex() == "d5f2f74a13e519ff1e07ec3624df90150464326a975f8ce665fe7dc9e12daed6", "§8.1"
    assert ticket(key, "91120116MA05JKLM8C").hex().startswith("49917f3224e2d984"), "§8.2"
    s = Stream(team_key(key, "91120116MA05JKLM8J"))
    assert [f"{s.next_u64():016x}" for _ in range(4)] == [
        "4ffef908c4426eac", "e886449f9c3f17fc", "c2eb788e1d633628", "26661663ef00a2f2"], "§8.3"
    s = Stream(sha256(b"kat-0"))
    assert below(s, 2**63 + 1) == 0x2E94476C6EE96A69 and s.counter == 1, "§8.4"
    assert uscc_check_char("91120116MA05JKLM8") == "J" and parse_list("电力；无线电、电力") == [
        "无线电", "电力"] and parse_ratio("12.50%")[1] == "12.5%" and parse_ratio("1")[1] == "100%"
    assert merkle_head([]).hex().startswith("e3b0c442") and parse_date("2020年9月30日") == "2020-09-30"
    return "self-test passed: RFC 8439 §2.3.2, A.1 #1-#2; SPEC §8.1-8.4"

def main(argv=None):
    ap = argparse.ArgumentParser(description="Independent verifier of dualdraw logs "
                                 "(dualdraw-spec/4), written from SPEC.md alone.")
    ap.add_argument("log", nargs="?", help="the draw log (draw.log)")
    ap.add_argument("--plan", help="the plan (TOML) the draw ran")
    ap.add_argument("--head", help="the published checkpoint: a file, its text, or its root "
                    "hash (64 hex digits)")
    ap.add_argument("--check-proof", metavar="PROOF",
                    help="check a per-enterprise proof (§10.3) against --head CHECKPOINT")
    ap.add_argument("--consistency", nargs=2, metavar=("OLD_CHECKPOINT", "PROOF"),
                    help="check a consistency proof file (§6.4) against an earlier checkpoint")
    ap.add_argument("--self-test", action="store_true", help="check RFC 8439 and SPEC §8 vectors")
    ap.add_argument("--reasons", metavar="SIDECAR",
                    help="the private reasons sidecar (reasons.private.jsonl): check every "
                    "reason commitment of the log with it (§9.5)")
    ap.add_argument("--commit-reason", nargs=2, metavar=("CATEGORY", "TEXT"),
                    help="print a sidecar line committing to a private text (for a plan's "
                    "[[recusal]] commitment, §9.5), with a fresh random salt")
    args = ap.parse_args(argv)
    if args.commit_reason:
        cat = REASON_NAMES.get(trim(args.commit_reason[0]))
        if cat is None:
            print(f"error: category must be one of {', '.join(REASON_CATEGORIES)}",
                  file=sys.stderr)
            return 2
        salt = os.urandom(32)
        c = reason_commitment(cat, salt, args.commit_reason[1]).hex()
        print(canonical_json({"category": cat, "commitment": c, "salt": salt.hex(),
                              "text": args.commit_reason[1]}))
        return 0
    if args.self_test:
        print(self_test())
        return 0
    if args.consistency or args.check_proof:
        try:
            print(check_consistency_file(*args.consistency) if args.consistency
                  else check_proof(args.check_proof, args.head or ""))
            return 0
        except Failed as e:
            print(f"FAILED: {e}", file=sys.stderr)
            return 1
        except BadInput as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
    if not args.log or not args.plan:
        ap.error("LOG and --plan are required")
    try:
        self_test()
        print(verify(args.log, args.plan, args.head))
        if args.reasons:
            n = check_sidecar(args.log, args.reasons)
            print(f"private reasons: {n} commitments in the log opened by {args.reasons}")
        return 0
    except Failed as e:
        print(f"FAILED: {e}", file=sys.stderr)
        return 1
    except BadInput as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
