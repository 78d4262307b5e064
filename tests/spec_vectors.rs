//! The known-answer vectors of SPEC.md §8, asserted against the library.
//!
//! Every expected value below is copied from SPEC.md §8, where it was computed twice: by this
//! crate and by `tests/spec_vectors.py`, an independent Python implementation written from
//! SPEC.md alone. If one of these tests fails, either the code or SPEC.md changed: a change to
//! any of these bytes is a change of the draw format and needs a new `dualdraw-spec` version.

mod common;

use chrono::NaiveDate;
use common::dirs::{officers_from, targets_from};
use dualdraw::directory::{CreditClass, Enterprise, EnterpriseStatus, Officers, Targets};
use dualdraw::internals;
use dualdraw::internals::Header;
use dualdraw::log;
use dualdraw::merkle::{self, TreeBuilder};
use dualdraw::plan::Plan;
use dualdraw::seed::{task_key, team_key};
use dualdraw::target::{TicketHasher, bottom_k, ticket};
use dualdraw::team;
use dualdraw::team::Stream;
use sha2::{Digest, Sha256};

// ---- §8 inputs, verbatim from SPEC.md ----

const SEED: &str = "2020-10-15 rehearsal";
const PLAN_ID: &str = "TJ-GXJ-2020-SSJ";
const TASK_ID: &str = "radio";

const PLAN_TOML: &str = r#"# SPEC.md §8.6 known-answer plan
id = "TJ-GXJ-2020-SSJ"
title = "天津市工信局2020年度\"双随机、一公开\"抽查（规范示例）"
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
"#;

const TARGETS_CSV: &str = "\
统一社会信用代码,企业名称,行政区划代码,监管领域,信用等级,登记状态,上次检查日期
9144030071526726XG,深圳市示例通信有限公司,440300,无线电,A,存续,
91120116MA05JKLM8J,天津滨海示例电子有限公司,120116,电力；无线电,b级,存续,2019/5/12
91120116MA05JKLM8C,天津市试点无线电器材厂,120116,无线电,,在业,2020年3月1日
";

const OFFICERS_CSV: &str = "\
人员编号,姓名,所属部门,片区,执法证号,执法证有效期至,执法领域,是否专家,人员状态,回避企业
TJGX0001,张伟,无线电管理处,120116,津120100200001,2022-12-31,无线电,否,在岗,
TJGX0002,王芳,无线电管理处,120101,津120100200002,2021/6/30,无线电;电力,否,在岗,91120116MA05JKLM8J
TJGX0003,李娜,无线电管理处,120103,津120100200003,2023年1月1日,无线电,否,在岗,
ZJ0001,刘洋,技术专家组,120101,无,2019-12-31,无线电,是,在岗,
";

/// SPEC.md itself, to check that inputs quoted here are verbatim there.
const SPEC: &str = include_str!("../SPEC.md");

/// The crate version written into the §8.6 header (informational; fixed here so that the
/// vector does not change with the crate's version).
const KAT_CRATE_VERSION: &str = "0.1.0";

// ---- §8 expected values, verbatim from SPEC.md ----

const TASK_KEY_PREIMAGE: &str = "000000146475616c647261772f76312f7461736b2d6b657900000014323032302d31302d31352072656865617273616c0000000f544a2d47584a2d323032302d53534a00000005726164696f";
const TASK_KEY: &str = "d5f2f74a13e519ff1e07ec3624df90150464326a975f8ce665fe7dc9e12daed6";

const TICKETS: [(&str, &str); 3] = [
    (
        "9144030071526726XG",
        "adcf55c5402660cb686047fbc8d8ad9e6a4bfe275462a4b9187e3d6e16d49cb0",
    ),
    (
        "91120116MA05JKLM8J",
        "2e1e0d35d0343eb024b4eb6d07b5921a273c310fa93e6ddd5348b61f4360188b",
    ),
    (
        "91120116MA05JKLM8C",
        "49917f3224e2d9849a707a9e10c579d22c551d3585144e574066deef013656cb",
    ),
];

const TEAM_KEY: &str = "47e2e467005690a8b6ff021fc52dc5e725da17cabf816440b34bfd5ec95779f5";
const TEAM_KEY_8C: &str = "38ba1ede2b627cc767e8ecfb1b93ff32629ed6a910be836d26f0710727fcd5a9";
const TEAM_WORDS: [u64; 4] = [
    0x4ffef908c4426eac,
    0xe886449f9c3f17fc,
    0xc2eb788e1d633628,
    0x26661663ef00a2f2,
];

const KAT_REJECT_KEY: &str = "20aa6f79755b30a1ef39cbf54b1dd5373deca363d641940b8c588ac0e45aec4a";

const RECORDS: [(&str, &str, &str); 3] = [
    (
        "91120116MA05JKLM8C",
        "000000166475616c647261772f76312f656e74657270726973650000001239313132303131364d4130354a4b4c4d384300000021e5a4a9e6b4a5e5b882e8af95e782b9e697a0e7babfe794b5e599a8e69d90e58e82000000063132303131360000000100000009e697a0e7babfe794b500000000000000066163746976650000000a323032302d30332d3031",
        "c70e04bced9f9a087764ad8633eb1dd59da08421654930e286f2b134b0df47ad",
    ),
    (
        "91120116MA05JKLM8J",
        "000000166475616c647261772f76312f656e74657270726973650000001239313132303131364d4130354a4b4c4d384a00000024e5a4a9e6b4a5e6bba8e6b5b7e7a4bae4be8be794b5e5ad90e69c89e99990e585ace58fb8000000063132303131360000000200000009e697a0e7babfe794b500000006e794b5e58a9b0000000142000000066163746976650000000a323031392d30352d3132",
        "21d3f52679db69ba14bf5c6fae8dc5fa1c2206e4fff94a0054f0d7c71d1146cd",
    ),
    (
        "9144030071526726XG",
        "000000166475616c647261772f76312f656e74657270726973650000001239313434303330303731353236373236584700000021e6b7b1e59cb3e5b882e7a4bae4be8be9809ae4bfa1e69c89e99990e585ace58fb8000000063434303330300000000100000009e697a0e7babfe794b500000001410000000661637469766500000000",
        "12b6d0c106b7b8e4864b6579e965fba5e0b30c784194f1e75de43fcec7ada196",
    ),
];
const NODE_01: &str = "efc9aba150f60d8201148f8821d250b255530f9e11def6afc8906ab08c0f2316";
const TARGETS_HEAD: &str = "308f93ac9acc124522a621283c226ba665bac84b98d7ec4ac6b7a55afd946811";
const OFFICERS_HEAD: &str = "d90e1d0d19ca7fae4de71835999887e49e2f69354b0abab48514b3ea57289050";
const PLAN_DIGEST: &str = "a31c23816c3e05cba991d89c437df8fc171ac73aa4b52c6389aeb942083ebd1a";

const LOG_LINES: [&str; 8] = [
    r#"{"crate_version":"0.1.0","directories":{"officers":{"count":4,"head":"d90e1d0d19ca7fae4de71835999887e49e2f69354b0abab48514b3ea57289050","supplied":["conflicts","expert"]},"targets":{"count":3,"head":"308f93ac9acc124522a621283c226ba665bac84b98d7ec4ac6b7a55afd946811","supplied":["credit_class","last_inspected"]}},"event":"header","inspection_date":"2020-10-20","mode":"operator-seed","notice":"the seed was supplied by the operator (rehearsal/test mode); this draw alone does not prove the seed was not chosen to steer the result","plan":{"digest":"a31c23816c3e05cba991d89c437df8fc171ac73aa4b52c6389aeb942083ebd1a","id":"TJ-GXJ-2020-SSJ","title":"天津市工信局2020年度\"双随机、一公开\"抽查（规范示例）"},"prev":"0000000000000000000000000000000000000000000000000000000000000000","seed":"2020-10-15 rehearsal","seq":0,"spec":"dualdraw-spec/4","tasks":[{"exclude_inspected_within_days":180,"id":"radio","scope":{"domains":["无线电"],"regions":[],"statuses":[]}}]}"#,
    r#"{"code":"uscc-check","event":"warning","id":"91120116MA05JKLM8C","message":"check character is \"C\" but GB 32100-2015 gives 'J'; kept as an early pilot code","prev":"c4d472e55a07f1aa941082168b9827dea5726191f58e52eec5113cca8d812a7d","seq":1,"source":"targets"}"#,
    r#"{"directed":true,"domain":"无线电","event":"task","exclude_inspected_within_days":180,"excluded_recent":0,"key":"d5f2f74a13e519ff1e07ec3624df90150464326a975f8ce665fe7dc9e12daed6","prev":"22ff530c2aeb8edee577d8e9e8fefe1b8dc1feb25f029f41eedb14e30b28af60","sample":{"ratio":"50%"},"seq":2,"shortfall_rule":"error","strata":[{"cutoff":"49917f3224e2d9849a707a9e10c579d22c551d3585144e574066deef013656cb","drawn":2,"eligible":3,"requested":2,"shortfall":0,"stratum":"all"}],"task":"radio","team_rule":{"experts":1,"size":2}}"#,
    r#"{"event":"target","id":"91120116MA05JKLM8J","prev":"295d8a4fc0eba050c53343de6d2d1126731b5e680fa7dd226807bc798ea4faca","rank":1,"seq":3,"stratum":"all","task":"radio","ticket":"2e1e0d35d0343eb024b4eb6d07b5921a273c310fa93e6ddd5348b61f4360188b"}"#,
    r#"{"event":"target","id":"91120116MA05JKLM8C","prev":"1c974ba65fe6756bacb8cccbd4b2e116df683a4d3306cd6bece8eca259a08fd6","rank":2,"seq":4,"stratum":"all","task":"radio","ticket":"49917f3224e2d9849a707a9e10c579d22c551d3585144e574066deef013656cb"}"#,
    r#"{"eligible_experts":1,"eligible_officers":2,"enterprise":"91120116MA05JKLM8J","event":"team","experts":["ZJ0001"],"leader":"TJGX0001","officers":["TJGX0001","TJGX0003"],"prev":"9cb3079f578b25d2d580c9802065775ef009b41504b4a07c8dab4f96ba4c4d57","seq":5,"task":"radio"}"#,
    r#"{"eligible_experts":1,"eligible_officers":3,"enterprise":"91120116MA05JKLM8C","event":"team","experts":["ZJ0001"],"leader":"TJGX0002","officers":["TJGX0002","TJGX0003"],"prev":"aac0109f00a5e6b2db324a649e3ede09b0dc9f5525d2672a95178858fce20994","seq":6,"task":"radio"}"#,
    r#"{"event":"footer","prev":"855f441eb1cdb185cd5275c537beae3907e1de61669e5df167e75e98f62c897e","seq":7,"targets":2,"tasks":1,"teams":2,"warnings":1}"#,
];
const LOG_CHECKPOINT: &str =
    "dualdraw/TJ-GXJ-2020-SSJ/a31c23816c3e05cb\n8\nd3ouPQPS+bE3U0C3mGwJELk8dIkoPEODPMhpMeBgcMU=\n";
const LOG_HEAD: &str = "777a2e3d03d2f9b1375340b7986c0910b93c7489283c43833cc86931e06070c5";

// ---- helpers ----

fn key() -> [u8; 32] {
    task_key(SEED, PLAN_ID, TASK_ID)
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&u32::try_from(s.len()).unwrap().to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn targets() -> Targets {
    targets_from(TARGETS_CSV)
}

fn officers() -> Officers {
    officers_from(OFFICERS_CSV)
}

/// The §8.3 officer directory: eligible officers TJGX0001..TJGX0007 (TJGX0003 also an expert)
/// and experts EX001..EX003.
fn team_officers() -> Officers {
    let mut csv =
        String::from("id,name,department,region,cert_no,cert_expires,domains,expert,status\n");
    for i in 1..=7 {
        let expert = if i == 3 { "1" } else { "0" };
        csv.push_str(&format!(
            "TJGX000{i},officer {i},radio,120101,C{i},2022-12-31,无线电,{expert},active\n"
        ));
    }
    for i in 1..=3 {
        csv.push_str(&format!(
            "EX00{i},expert {i},experts,120101,E{i},2019-12-31,无线电,1,active\n"
        ));
    }
    officers_from(&csv)
}

fn plan() -> Plan {
    Plan::from_toml(PLAN_TOML, "plan.toml".as_ref()).unwrap()
}

// ---- §8.1 ----

#[test]
fn s8_1_task_key() {
    let mut pre = Vec::new();
    for s in ["dualdraw/v1/task-key", SEED, PLAN_ID, TASK_ID] {
        put_str(&mut pre, s);
    }
    assert_eq!(hex::encode(&pre), TASK_KEY_PREIMAGE);
    assert_eq!(hex::encode(Sha256::digest(&pre)), TASK_KEY);
    assert_eq!(hex::encode(key()), TASK_KEY);
}

// ---- §8.2 ----

#[test]
fn s8_2_tickets_and_bottom_k() {
    let k = key();
    let hasher = TicketHasher::new(&k);
    for (id, want) in TICKETS {
        assert_eq!(hex::encode(ticket(&k, id)), want, "{id}");
        // The midstate shortcut gives the same ticket.
        assert_eq!(hex::encode(hasher.ticket(id)), want, "{id}");
        // The generic form: SHA-256 of the ASCII text "<hex key>:<id>".
        let text = format!("{TASK_KEY}:{id}");
        assert_eq!(hex::encode(Sha256::digest(text.as_bytes())), want, "{id}");
    }
    let entries: Vec<_> = TICKETS
        .iter()
        .map(|(id, _)| (ticket(&k, id), *id))
        .collect();
    let order: Vec<&str> = bottom_k(entries, 3).into_iter().map(|e| e.1).collect();
    assert_eq!(
        order,
        [
            "91120116MA05JKLM8J",
            "91120116MA05JKLM8C",
            "9144030071526726XG"
        ]
    );
}

// ---- §8.3 ----

#[test]
fn s8_3_team_key_stream_and_draw() {
    let tk = team_key(&key(), "91120116MA05JKLM8J");
    assert_eq!(hex::encode(tk), TEAM_KEY);
    let mut pre = Vec::new();
    put_str(&mut pre, "dualdraw/v1/team-key");
    pre.extend_from_slice(&key());
    put_str(&mut pre, "91120116MA05JKLM8J");
    assert_eq!(hex::encode(Sha256::digest(&pre)), TEAM_KEY);

    let mut s = Stream::new(&tk);
    let words: Vec<u64> = (0..4).map(|_| s.next_u64()).collect();
    assert_eq!(words, TEAM_WORDS);

    // The bounded integers of the draw: below(7), below(6), then below(4) for the expert.
    let mut s = Stream::new(&tk);
    assert_eq!(s.below(7), 3);
    assert_eq!(TEAM_WORDS[0] % 7, 3);
    assert_eq!(s.below(6), 4);
    assert_eq!(TEAM_WORDS[1] % 6, 4);
    assert_eq!(s.below(4), 0);
    assert_eq!(TEAM_WORDS[2] % 4, 0);
    assert_eq!(s.next_u64(), TEAM_WORDS[3]);

    // The same draw through the library's team draw, from a directory whose eligible officer
    // pool is TJGX0001..TJGX0007 and whose expert pool is EX001..EX003 and TJGX0003.
    let officers = team_officers();
    let plan = plan();
    let e = Enterprise {
        id: "91120116MA05JKLM8J".into(),
        name: "x".into(),
        region: "120116".into(),
        domains: vec!["无线电".into()],
        credit_class: Some(CreditClass::B),
        status: EnterpriseStatus::Active,
        last_inspected: None,
    };
    let date = NaiveDate::from_ymd_opt(2020, 10, 20).unwrap();
    let team = internals::draw_team(&key(), &plan.tasks[0], date, &e, &officers).unwrap();
    assert_eq!(team.officers, ["TJGX0004", "TJGX0006"]);
    assert_eq!(team.experts, ["EX001"]);
    assert_eq!((team.eligible_officers, team.eligible_experts), (7, 4));
}

// ---- §8.4 ----

#[test]
fn s8_4_rejection() {
    let n = (1u64 << 63) + 1;
    let t = n.wrapping_neg() % n;
    assert_eq!(t, 0x7fff_ffff_ffff_ffff);
    let k: [u8; 32] = Sha256::digest(b"kat-0").into();
    assert_eq!(hex::encode(k), KAT_REJECT_KEY);
    let mut s = Stream::new(&k);
    let (w0, w1) = (s.next_u64(), s.next_u64());
    assert_eq!((w0, w1), (0x3ded9e2b8acfbf9d, 0xae94476c6ee96a6a));
    assert!(w0 < t && w1 >= t);
    let mut s = Stream::new(&k);
    assert_eq!(s.below(n), 0x2e94476c6ee96a69);
    assert_eq!(w1 % n, 0x2e94476c6ee96a69);
}

// ---- §8.5 ----

#[test]
fn s8_5_merkle_head() {
    let t = targets();
    assert_eq!(t.records().len(), 3);
    let mut leaves = Vec::new();
    for (e, (id, bytes, leaf)) in t.records().iter().zip(RECORDS) {
        assert_eq!(e.id, id);
        let b = e.canonical_bytes();
        assert_eq!(hex::encode(&b), bytes, "{id}");
        assert_eq!(hex::encode(merkle::leaf_hash(&b)), leaf, "{id}");
        leaves.push(b);
    }
    let l: Vec<[u8; 32]> = leaves.iter().map(|b| merkle::leaf_hash(b)).collect();
    let n01 = merkle::node_hash(&l[0], &l[1]);
    assert_eq!(hex::encode(n01), NODE_01);
    assert_eq!(hex::encode(merkle::node_hash(&n01, &l[2])), TARGETS_HEAD);
    let slices: Vec<&[u8]> = leaves.iter().map(Vec::as_slice).collect();
    assert_eq!(hex::encode(merkle::mth(&slices)), TARGETS_HEAD);
    let mut b = TreeBuilder::new();
    for x in &leaves {
        b.push(x);
    }
    assert_eq!(hex::encode(b.head()), TARGETS_HEAD);
    assert_eq!(hex::encode(t.digest().head), TARGETS_HEAD);
    assert_eq!(t.digest().count, 3);

    // An independent RFC 6962 implementation agrees.
    let mut ct = ct_merkle::mem_backed_tree::MemoryBackedTree::<Sha256, Vec<u8>>::new();
    for x in leaves {
        ct.push(x);
    }
    assert_eq!(hex::encode(ct.root().as_bytes()), TARGETS_HEAD);

    assert_eq!(hex::encode(officers().digest().head), OFFICERS_HEAD);
    assert_eq!(
        hex::encode(TreeBuilder::new().head()),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
}

// ---- §8.6 ----

fn kat_log() -> log::Log {
    let (plan, targets, officers) = (plan(), targets(), officers());
    let outcome = internals::run(&plan, &targets, &officers, SEED).unwrap();
    let header = Header {
        plan: &plan,
        plan_digest: Sha256::digest(PLAN_TOML.as_bytes()).into(),
        targets: targets.digest(),
        officers: officers.digest(),
        seed: SEED,
        crate_version: KAT_CRATE_VERSION,
    };
    internals::record(&header, &targets, &outcome)
}

#[test]
fn s8_6_complete_log() {
    assert_eq!(
        hex::encode(Sha256::digest(PLAN_TOML.as_bytes())),
        PLAN_DIGEST
    );
    let log = kat_log();
    assert_eq!(log.lines.len(), LOG_LINES.len());
    for (i, (got, want)) in log.lines.iter().zip(LOG_LINES).enumerate() {
        assert_eq!(got, want, "line {}", i + 1);
    }
    assert_eq!(hex::encode(log.head()), LOG_HEAD);
    // The team of the second drawn enterprise: below(3) then below(2) on its own stream.
    let tk = team_key(&key(), "91120116MA05JKLM8C");
    assert_eq!(hex::encode(tk), TEAM_KEY_8C);
    let mut s = Stream::new(&tk);
    assert_eq!(s.next_u64(), 0x04daa205d1c79b4b);
    assert_eq!(s.next_u64(), 0x88a5852dce228153);
    let mut s = Stream::new(&tk);
    assert_eq!((s.below(3), s.below(2)), (1, 1));
    let bytes = log.to_bytes();
    assert_eq!(bytes, format!("{}\n", LOG_LINES.join("\n")).into_bytes());
    assert_eq!(log.checkpoint().to_text(), LOG_CHECKPOINT);
}

// ---- §8.10 ----

const LEAF_HASHES: [&str; 8] = [
    "c4d472e55a07f1aa941082168b9827dea5726191f58e52eec5113cca8d812a7d",
    "22ff530c2aeb8edee577d8e9e8fefe1b8dc1feb25f029f41eedb14e30b28af60",
    "295d8a4fc0eba050c53343de6d2d1126731b5e680fa7dd226807bc798ea4faca",
    "1c974ba65fe6756bacb8cccbd4b2e116df683a4d3306cd6bece8eca259a08fd6",
    "9cb3079f578b25d2d580c9802065775ef009b41504b4a07c8dab4f96ba4c4d57",
    "aac0109f00a5e6b2db324a649e3ede09b0dc9f5525d2672a95178858fce20994",
    "855f441eb1cdb185cd5275c537beae3907e1de61669e5df167e75e98f62c897e",
    "592c8332064d81ba0eae5235c535ef7ea2047926d808c3a330d4e5547ba17aea",
];
const AUDIT_PATH_LINE_4: [&str; 3] = [
    "aac0109f00a5e6b2db324a649e3ede09b0dc9f5525d2672a95178858fce20994",
    "80c71e3ec1e951f7d507e29275b552959975b52637c7ac9dc436a4656b55b8f9",
    "639ec45b1df9ccae5f3130cdee29c9604a9249fc658e7c8911f964c158ef7a88",
];
const ROOT_1: &str = "c4d472e55a07f1aa941082168b9827dea5726191f58e52eec5113cca8d812a7d";
const ROOT_3: &str = "17fa3caf28f696393d6051883af44edc052e4f9ef2c7c3ff0950099fdd3cc29f";
const CONSISTENCY_1_8: [&str; 3] = [
    "22ff530c2aeb8edee577d8e9e8fefe1b8dc1feb25f029f41eedb14e30b28af60",
    "911a20cb881ea008663a0943a7ecf147357402eabf395b2af721471456a68973",
    "455f0e3bc55d4419a99651f4927f7acca2daab40cdafb370843099661e70238b",
];
const CONSISTENCY_3_8: [&str; 4] = [
    "295d8a4fc0eba050c53343de6d2d1126731b5e680fa7dd226807bc798ea4faca",
    "1c974ba65fe6756bacb8cccbd4b2e116df683a4d3306cd6bece8eca259a08fd6",
    "8c0c420c9f9032ce5b4f8d9c0f0687c83e667c6a0c67aece45d44f9e645fc673",
    "455f0e3bc55d4419a99651f4927f7acca2daab40cdafb370843099661e70238b",
];

#[test]
fn s8_10_log_tree_inclusion_and_consistency() {
    use dualdraw::merkle::{Tree, verify_consistency, verify_inclusion};
    let h = |s: &str| -> [u8; 32] { hex::decode(s).unwrap().try_into().unwrap() };
    let leaves: Vec<[u8; 32]> = LOG_LINES.iter().map(|l| log::leaf_hash(l)).collect();
    for (i, want) in LEAF_HASHES.iter().enumerate() {
        assert_eq!(hex::encode(leaves[i]), *want, "leaf {i}");
        // Each line's `prev` is the leaf hash of the line before it.
        if i + 1 < LOG_LINES.len() {
            assert!(LOG_LINES[i + 1].contains(&format!("\"prev\":\"{want}\"")));
        }
    }
    let tree = Tree::from_leaf_hashes(leaves.clone());
    assert_eq!(hex::encode(tree.head()), LOG_HEAD);
    let path: Vec<String> = tree.inclusion_proof(4).iter().map(hex::encode).collect();
    assert_eq!(path, AUDIT_PATH_LINE_4);
    let path: Vec<[u8; 32]> = AUDIT_PATH_LINE_4.iter().map(|s| h(s)).collect();
    assert_eq!(
        verify_inclusion(4, 8, &leaves[4], &path, &h(LOG_HEAD)),
        Ok(())
    );
    for (m, root, want) in [
        (1, ROOT_1, &CONSISTENCY_1_8[..]),
        (3, ROOT_3, &CONSISTENCY_3_8[..]),
    ] {
        assert_eq!(
            hex::encode(Tree::from_leaf_hashes(leaves[..m].to_vec()).head()),
            root
        );
        let proof = tree.consistency_proof(m);
        assert_eq!(proof.iter().map(hex::encode).collect::<Vec<_>>(), want);
        assert_eq!(
            verify_consistency(m as u64, 8, &proof, &h(root), &h(LOG_HEAD)),
            Ok(())
        );
    }
}

#[test]
fn s8_6_log_verifies() {
    let (plan, targets, officers) = (plan(), targets(), officers());
    let digest: [u8; 32] = Sha256::digest(PLAN_TOML.as_bytes()).into();
    let head: [u8; 32] = hex::decode(LOG_HEAD).unwrap().try_into().unwrap();
    let log = format!("{}\n", LOG_LINES.join("\n"));
    let report = internals::verify(
        log.as_bytes(),
        Some(&head),
        &plan,
        &digest,
        &targets,
        &officers,
    )
    .unwrap();
    assert_eq!(hex::encode(report.head), LOG_HEAD);
    assert_eq!(
        (
            report.lines,
            report.tasks,
            report.targets,
            report.teams,
            report.warnings
        ),
        (8, 1, 2, 2, 1)
    );
    // Dropping the footer keeps the chain intact but fails against the published head (exit 1).
    let truncated = format!("{}\n", LOG_LINES[..7].join("\n"));
    let err = internals::verify(
        truncated.as_bytes(),
        Some(&head),
        &plan,
        &digest,
        &targets,
        &officers,
    )
    .unwrap_err();
    assert!(err.is_verification());
}

// ---- §8.7 ----

const SKIP_OFFICERS_CSV: &str = "\
id,name,department,region,cert_no,cert_expires,domains,expert,status
SK1,officer 1,radio,120101,C1,2022-12-31,无线电,0,active
SK2,officer 2,radio,120101,C2,2022-12-31,无线电,1,active
SK3,officer 3,radio,120101,C3,2022-12-31,无线电,0,active
SK4,officer 4,radio,120101,C4,2022-12-31,无线电,0,active
";
const SKIP_TASK_KEY: &str = "dc2bc003bae70eb61971d17f0189deea7d7717ce4c613c585857571ed79a8945";
const SKIP_TEAM_KEY: &str = "37be15b09ccf996afd853535d5dd70fa66bcde6117fe2a90276aa5017b5a54e3";
const SKIP_WORDS: [u64; 3] = [0x86162bad6a1cef7d, 0x17fb57c607fea7a2, 0xac607c43f61532c1];

fn kat_enterprise() -> Enterprise {
    Enterprise {
        id: "91120116MA05JKLM8J".into(),
        name: "x".into(),
        region: "120116".into(),
        domains: vec!["无线电".into()],
        credit_class: Some(CreditClass::B),
        status: EnterpriseStatus::Active,
        last_inspected: None,
    }
}

fn kat_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2020, 10, 20).unwrap()
}

#[test]
fn s8_7_reserved_expert_is_skipped() {
    assert!(
        SPEC.contains(SKIP_OFFICERS_CSV),
        "§8.7 directory not verbatim in SPEC.md"
    );
    let k = task_key("skip-0", PLAN_ID, TASK_ID);
    assert_eq!(hex::encode(k), SKIP_TASK_KEY);
    let tk = team_key(&k, "91120116MA05JKLM8J");
    assert_eq!(hex::encode(tk), SKIP_TEAM_KEY);
    let mut s = Stream::new(&tk);
    let words: Vec<u64> = (0..3).map(|_| s.next_u64()).collect();
    assert_eq!(words, SKIP_WORDS);
    // below(4) = 1, below(3) = 0, below(2) = 1, each from one word (t = 0, 1, 0).
    let mut s = Stream::new(&tk);
    assert_eq!((s.below(4), s.below(3), s.below(2)), (1, 0, 1));
    assert_eq!(s.next_u64(), {
        let mut t = Stream::new(&tk);
        (0..3).for_each(|_| _ = t.next_u64());
        t.next_u64()
    });
    let officers =
        dualdraw::directory::read_officers(SKIP_OFFICERS_CSV.as_bytes(), "o.csv".as_ref()).unwrap();
    let team = internals::draw_team(
        &k,
        &plan().tasks[0],
        kat_date(),
        &kat_enterprise(),
        &officers,
    )
    .unwrap();
    assert_eq!(team.officers, ["SK1", "SK4"]);
    assert_eq!(team.experts, ["SK2"]);
    assert_eq!((team.eligible_officers, team.eligible_experts), (4, 1));
    // consumed = 3: P[3..] is SK3.
    assert_eq!(team.rest, ["SK3"]);
    // And no seed of the 40 after it makes the draw fail (Hall's condition holds).
    for i in 1..40 {
        let k = task_key(&format!("skip-{i}"), PLAN_ID, TASK_ID);
        let team = internals::draw_team(
            &k,
            &plan().tasks[0],
            kat_date(),
            &kat_enterprise(),
            &officers,
        )
        .unwrap();
        assert!(!team.officers.contains(&"SK2".to_string()), "skip-{i}");
        assert_eq!(team.experts, ["SK2"], "skip-{i}");
    }
}

// ---- §8.8 ----

const COMMITMENT: &str = "17d932f868f67768e253ceda93a61e70656d53510c838b894b3a2633b3fced09";
const COMMIT_LINE: &str = r#"{"commitment":"17d932f868f67768e253ceda93a61e70656d53510c838b894b3a2633b3fced09","crate_version":"0.1.0","directories":{"officers":{"count":4,"head":"d90e1d0d19ca7fae4de71835999887e49e2f69354b0abab48514b3ea57289050","supplied":["conflicts","expert"]},"targets":{"count":3,"head":"308f93ac9acc124522a621283c226ba665bac84b98d7ec4ac6b7a55afd946811","supplied":["credit_class","last_inspected"]}},"entropy_source":{"description":"dice thrown at the public ceremony on 2020-10-15","kind":"dice"},"event":"header","inspection_date":"2020-10-20","mode":"commit-reveal","plan":{"digest":"a31c23816c3e05cba991d89c437df8fc171ac73aa4b52c6389aeb942083ebd1a","id":"TJ-GXJ-2020-SSJ","title":"天津市工信局2020年度\"双随机、一公开\"抽查（规范示例）"},"prev":"0000000000000000000000000000000000000000000000000000000000000000","seq":0,"spec":"dualdraw-spec/4","tasks":[{"exclude_inspected_within_days":180,"id":"radio","scope":{"domains":["无线电"],"regions":[],"statuses":[]}}]}"#;
const COMMIT_TREE_HEAD: &str = "0415eafd3078cbf2aa64feea2a1357554229076619c465765ad45fe51c4f0d82";
/// SHA-256 of the commit line (not its leaf hash), which the seed derivation takes.
const COMMIT_HEAD: &str = "c563b0ae16d9d39f237d396d866759b454678e69ee89333384f7678982397c9c";
const SEED_PREIMAGE: &str = "000000106475616c647261772f76312f73656564000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f0000000b3320312036203620322035c563b0ae16d9d39f237d396d866759b454678e69ee89333384f7678982397c9c";
const COMMITTED_SEED: &str = "932770a6a3a3a922c4a7ed92200763edbd1cd46b1d9c75ab03b644f5c55d0b64";
const REVEAL_LINE: &str = r#"{"entropy":"3 1 6 6 2 5","event":"reveal","prev":"0415eafd3078cbf2aa64feea2a1357554229076619c465765ad45fe51c4f0d82","secret":"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f","seed":"932770a6a3a3a922c4a7ed92200763edbd1cd46b1d9c75ab03b644f5c55d0b64","seq":1}"#;
const COMMITTED_TASK_KEY: &str = "bd5c05917c7475dd2b77687d2bc6a76c3296160fd7077fdc7b347879ff1233a9";
const ENTROPY_VALUE: &str = "3 1 6 6 2 5";

#[test]
fn s8_8_committed_seed() {
    use dualdraw::commit;
    let secret: [u8; 32] = std::array::from_fn(|i| i as u8);
    assert_eq!(hex::encode(commit::commitment(&secret)), COMMITMENT);
    let (plan, targets, officers) = (plan(), targets(), officers());
    let source =
        commit::EntropySource::new("dice", "dice thrown at the public ceremony on 2020-10-15")
            .unwrap();
    let plan_digest: [u8; 32] = Sha256::digest(PLAN_TOML.as_bytes()).into();
    let mut log = log::chain(vec![internals::commit_event(&internals::CommitHeader {
        plan: &plan,
        plan_digest,
        targets: targets.digest(),
        officers: officers.digest(),
        entropy: &source,
        commitment: commit::commitment(&secret),
        crate_version: KAT_CRATE_VERSION,
    })]);
    assert_eq!(log.lines, [COMMIT_LINE]);
    // The commit head (a tree of one leaf) is the commit line's leaf hash, the reveal's `prev`.
    assert_eq!(hex::encode(log.head()), COMMIT_TREE_HEAD);
    assert_eq!(hex::encode(log::leaf_hash(COMMIT_LINE)), COMMIT_TREE_HEAD);
    let head = log::line_hash(COMMIT_LINE);
    assert_eq!(hex::encode(head), COMMIT_HEAD);
    // The preimage: str(tag) || secret || str(entropy) || SHA-256(commit line) as 32 raw bytes.
    let mut pre = Vec::new();
    put_str(&mut pre, "dualdraw/v1/seed");
    pre.extend_from_slice(&secret);
    put_str(&mut pre, ENTROPY_VALUE);
    pre.extend_from_slice(&head);
    assert_eq!(hex::encode(&pre), SEED_PREIMAGE);
    assert_eq!(hex::encode(Sha256::digest(&pre)), COMMITTED_SEED);
    assert_eq!(
        commit::derive_seed(&secret, ENTROPY_VALUE, &head),
        COMMITTED_SEED
    );
    log.append(vec![internals::reveal_event(
        &secret,
        ENTROPY_VALUE,
        COMMITTED_SEED,
    )]);
    assert_eq!(log.lines[1], REVEAL_LINE);
    assert_eq!(
        hex::encode(task_key(COMMITTED_SEED, PLAN_ID, TASK_ID)),
        COMMITTED_TASK_KEY
    );
    // The committed draw as a whole verifies, and the one-line commitment alone too.
    let outcome = internals::run(&plan, &targets, &officers, COMMITTED_SEED).unwrap();
    let commit_only = log.clone();
    log.append(internals::draw_events(&plan, targets.warnings(), &outcome));
    let report = internals::verify(
        &log.to_bytes(),
        None,
        &plan,
        &plan_digest,
        &targets,
        &officers,
    )
    .unwrap();
    assert_eq!(
        (report.mode.as_str(), report.seed.as_str()),
        ("commit-reveal", COMMITTED_SEED)
    );
    let one = dualdraw::log::Log {
        lines: commit_only.lines[..1].to_vec(),
    };
    let report = internals::verify(
        &one.to_bytes(),
        None,
        &plan,
        &plan_digest,
        &targets,
        &officers,
    )
    .unwrap();
    assert!(!report.drawn);
}

// ---- §8.9 ----

const REPLACEMENT_KEY: &str = "195284fe7085c8497c493310fe6e5b7587c76084216d41f03a46a89a05b56927";

#[test]
fn s8_9_replacement_order() {
    // The §8.3 team.
    let officers = team_officers();
    let team = internals::draw_team(
        &key(),
        &plan().tasks[0],
        kat_date(),
        &kat_enterprise(),
        &officers,
    )
    .unwrap();
    assert_eq!(
        team.rest,
        ["TJGX0003", "TJGX0001", "TJGX0005", "TJGX0002", "TJGX0007"]
    );
    let mut pre = Vec::new();
    put_str(&mut pre, "dualdraw/v1/replacement-key");
    pre.extend_from_slice(&team_key(&key(), "91120116MA05JKLM8J"));
    let r: [u8; 32] = Sha256::digest(&pre).into();
    assert_eq!(hex::encode(r), REPLACEMENT_KEY);
    let mut s = Stream::new(&r);
    let words: Vec<u64> = (0..4).map(|_| s.next_u64()).collect();
    assert_eq!(
        words,
        [
            0xc5c72bfe0de15ee9,
            0x7fa53e0a99b25341,
            0xacc1227befe5e41b,
            0x45fe454869b8c3d3
        ]
    );
    let order = team::replacement_order(&key(), &team);
    assert_eq!(
        order,
        ["TJGX0002", "TJGX0005", "TJGX0001", "TJGX0007", "TJGX0003"]
    );
    assert!(SPEC.contains("replacement order begins TJGX0002, TJGX0005, TJGX0001"));
}

#[test]
fn s9_5_reason_commitment() {
    use dualdraw::reason::{Category, Reason, commitment};
    let salt: [u8; 32] = std::array::from_fn(|i| 0x20 + i as u8);
    let c = hex::encode(commitment(Category::Illness, &salt, "住院治疗"));
    assert_eq!(
        c,
        "a4e233095d3429b4338b2c0834419bc6c3a047a5c9606f8b810bc1079fb80fba"
    );
    assert!(SPEC.contains(&c));
    // The log's reason object, private and public, as SPEC.md §9.5 writes them.
    let (private, entry) = Reason::parse("病假：住院治疗").unwrap().seal(false, salt);
    let line = serde_json::to_string(&private).unwrap();
    assert!(SPEC.contains(&format!("`{line}`")), "{line}");
    assert_eq!(entry.unwrap().commitment, private.commitment.unwrap());
    let (public, _) = Reason::parse("病假：住院治疗").unwrap().seal(true, salt);
    let line = serde_json::to_string(&public).unwrap();
    assert!(SPEC.contains(&format!("`{line}`")), "{line}");
}
