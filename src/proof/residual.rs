//! Residual lines (SPEC.md §10.2): a log line without the members a checker derives, with
//! its hashes in base64 — and the way back to the line's exact bytes. The prover writes
//! residuals; the checker restores them and proves the restored bytes against the checkpoint,
//! so a residual that restores to anything but the logged line fails inclusion.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value};

use crate::log::{self, SPEC_VERSION};
use crate::merkle::Hash;

/// The members of an event that are hashes, by path (SPEC.md §10.2's table), besides `prev`.
fn hash_paths(event: &str) -> &'static [&'static [&'static str]] {
    match event {
        "header" => &[
            &["plan", "digest"],
            &["directories", "officers", "head"],
            &["directories", "targets", "head"],
            &["commitment"],
        ],
        "reveal" => &[&["secret"], &["seed"]],
        "replacement" => &[&["reason", "commitment"]],
        _ => &[],
    }
}

/// The members the checker derives, by event, besides `seq` and (where derivable) `prev`.
fn derived_members(event: &str) -> &'static [&'static str] {
    match event {
        "header" => &["spec", "notice"],
        "task" => &["task", "key", "directed", "exclude_inspected_within_days"],
        "target" => &["task", "id", "ticket"],
        "team" => &["task", "enterprise", "leader"],
        "replacement" => &["enterprise"],
        _ => &[],
    }
}

/// Applies `f` to the string at `path` in `m`, if there is one.
fn at_path(
    m: &mut Map<String, Value>,
    path: &[&str],
    f: &dyn Fn(&str) -> Result<String, String>,
) -> Result<(), String> {
    let Some((last, parents)) = path.split_last() else {
        return Ok(());
    };
    let mut cur = m;
    for p in parents {
        match cur.get_mut(*p) {
            Some(Value::Object(o)) => cur = o,
            _ => return Ok(()),
        }
    }
    if let Some(Value::String(s)) = cur.get_mut(*last) {
        *s = f(s)?;
    }
    Ok(())
}

/// Every stratum's `cutoff` of a task event.
fn cutoffs(
    m: &mut Map<String, Value>,
    f: &dyn Fn(&str) -> Result<String, String>,
) -> Result<(), String> {
    if let Some(Value::Array(strata)) = m.get_mut("strata") {
        for s in strata {
            if let Value::Object(o) = s {
                at_path(o, &["cutoff"], f)?;
            }
        }
    }
    Ok(())
}

fn hex_to_b64(s: &str) -> Result<String, String> {
    let h = crate::log::event::hex32::parse(s)
        .ok_or_else(|| format!("{s:?} is not a hash of 64 lowercase hex digits"))?;
    Ok(STANDARD.encode(h))
}

/// A hash in canonical base64 (RFC 4648 §4): 44 characters that re-encode to themselves.
pub(super) fn parse_b64_hash(s: &str) -> Option<Hash> {
    let b = STANDARD.decode(s).ok()?;
    let h = <Hash>::try_from(b.as_slice()).ok()?;
    (STANDARD.encode(h) == s).then_some(h)
}

fn b64_to_hex(s: &str) -> Result<String, String> {
    parse_b64_hash(s)
        .map(hex::encode)
        .ok_or_else(|| format!("{s:?} is not a hash in canonical base64 (44 characters)"))
}

fn convert(
    m: &mut Map<String, Value>,
    event: &str,
    f: &dyn Fn(&str) -> Result<String, String>,
) -> Result<(), String> {
    at_path(m, &["prev"], f)?;
    for p in hash_paths(event) {
        at_path(m, p, f)?;
    }
    if event == "task" {
        cutoffs(m, f)?;
    }
    Ok(())
}

/// The residual of a log line (SPEC.md §10.2): `prev_carried` says whether the proof carries
/// the line before it (then `prev` is derived too).
pub(super) fn residual(line: &str, seq: u64, prev_carried: bool) -> Result<Value, String> {
    let Ok(Value::Object(mut m)) = serde_json::from_str::<Value>(line) else {
        return Err(format!("line seq {seq} is not a JSON object"));
    };
    let event = match m.get("event") {
        Some(Value::String(e)) => e.clone(),
        _ => return Err(format!("line seq {seq} has no string member `event`")),
    };
    m.remove("seq");
    if seq == 0 || prev_carried {
        m.remove("prev");
    }
    for k in derived_members(&event) {
        m.remove(*k);
    }
    convert(&mut m, &event, &hex_to_b64).map_err(|e| format!("line seq {seq}: {e}"))?;
    Ok(Value::Object(m))
}

/// What the checker derives for the line it restores next (SPEC.md §10.2's table).
#[derive(Debug, Clone, Default)]
pub(super) struct Derivable {
    /// The leaf hash of the line before, when the proof carries it (or 64 zeros for seq 0).
    pub(super) prev: Option<Hash>,
    /// The header's notice, for an `operator-seed` header.
    pub(super) notice: Option<&'static str>,
    /// Members to add, by name (task, key, directed, exclude days, id, ticket, enterprise).
    pub(super) members: Vec<(&'static str, Value)>,
}

/// The event named by a residual.
pub(super) fn event_of(residual: &Value) -> Option<&str> {
    residual.get("event")?.as_str()
}

/// Restores a line from its residual: adds the derived members, writes the hashes as hex,
/// and serializes canonically (SPEC.md §6.1). The caller proves the result against the
/// checkpoint; anything but the logged line fails there.
pub(super) fn restore(residual: &Value, seq: u64, d: &Derivable) -> Result<String, String> {
    let Value::Object(m) = residual else {
        return Err(format!("line seq {seq}: the residual is not a JSON object"));
    };
    let mut m = m.clone();
    let event = match m.get("event") {
        Some(Value::String(e)) => e.clone(),
        _ => return Err(format!("line seq {seq}: no string member `event`")),
    };
    convert(&mut m, &event, &b64_to_hex).map_err(|e| format!("line seq {seq}: {e}"))?;
    m.insert("seq".into(), Value::from(seq));
    if let Some(p) = d.prev {
        m.insert("prev".into(), Value::String(hex::encode(p)));
    }
    if event == "header" {
        m.insert("spec".into(), Value::String(SPEC_VERSION.into()));
        if let Some(n) = d.notice {
            m.insert("notice".into(), Value::String(n.into()));
        }
    }
    for (k, v) in &d.members {
        m.insert((*k).into(), v.clone());
    }
    // `leader` is the first officer (SPEC.md §6.2).
    if event == "team" {
        let first = m
            .get("officers")
            .and_then(|o| o.as_array())
            .and_then(|o| o.first())
            .cloned()
            .ok_or_else(|| format!("line seq {seq}: a team without officers"))?;
        m.insert("leader".into(), first);
    }
    Ok(log::canonical(&Value::Object(m)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_restores_from_its_residual() {
        let line = r#"{"eligible_experts":0,"eligible_officers":3,"enterprise":"E1","event":"team","experts":[],"leader":"O2","officers":["O2","O1"],"prev":"245494de0615b83dded7df9ea31f317aa837a3c0c394c8eb227d7772a183a1e7","seq":9,"task":"radio"}"#;
        let r = residual(line, 9, false).unwrap();
        assert_eq!(
            log::canonical(&r),
            r#"{"eligible_experts":0,"eligible_officers":3,"event":"team","experts":[],"officers":["O2","O1"],"prev":"JFSU3gYVuD3e19+eox8xeqg3o8DDlMjrIn13cqGDoec="}"#
        );
        let d = Derivable {
            members: vec![
                ("task", Value::from("radio")),
                ("enterprise", Value::from("E1")),
            ],
            ..Derivable::default()
        };
        assert_eq!(restore(&r, 9, &d).unwrap(), line);
        // A prev carried in hex, or a base64 that is not canonical, does not restore.
        let mut bad = r.clone();
        bad["prev"] =
            Value::from("245494de0615b83dded7df9ea31f317aa837a3c0c394c8eb227d7772a183a1e7");
        assert!(restore(&bad, 9, &d).is_err());
        bad["prev"] = Value::from("JFSU3gYVuD3e19+eox8xeqg3o8DDlMjrIn13cqGDoed=");
        assert!(restore(&bad, 9, &d).is_err());
    }
}
