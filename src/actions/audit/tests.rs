//! The audit log's tests: the chain, its breaks, the head, a full disk.

use super::*;

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("opsdeck-audit-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir.join("sub").join("audit.jsonl")
}

fn rec(phase: Phase, plan: &str, outcome: Option<&str>) -> Record {
    Record {
        phase: Some(phase),
        action: "restart".into(),
        target: "deployment contentgen/api".into(),
        plan_id: plan.into(),
        outcome: outcome.map(str::to_string),
        ..Record::default()
    }
}

fn write_three(path: &Path) -> AuditLog {
    let log = AuditLog::new(path.to_path_buf());
    log.append(&rec(Phase::Intent, "p1", None)).expect("intent");
    log.append(&rec(Phase::Result, "p1", Some("ok")))
        .expect("result");
    log.append(&rec(Phase::Verify, "p1", Some("ok")))
        .expect("verify");
    log
}

#[test]
fn entries_chain_and_verify() {
    let path = temp("chain");
    write_three(&path);
    let text = std::fs::read_to_string(&path).expect("read");
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[1]["prev_hash"], lines[0]["hash"]);
    assert_eq!(lines[2]["seq"], 3);
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let report = verify(&path).expect("verifies");
    assert_eq!((report.entries, report.unfinished.len()), (3, 0));
}

#[test]
fn an_edited_line_is_named() {
    let path = temp("edit");
    write_three(&path);
    let text = std::fs::read_to_string(&path).expect("read");
    std::fs::write(&path, text.replacen("contentgen/api", "contentgen/apj", 2)).expect("write");
    let err = verify(&path).expect_err("edited");
    assert!(matches!(err, AuditError::Broken { line: 1, .. }), "{err}");
    assert!(err.to_string().contains("edited"), "{err}");
}

#[test]
fn a_removed_line_is_named() {
    let path = temp("cut");
    write_three(&path);
    let text = std::fs::read_to_string(&path).expect("read");
    let kept: Vec<&str> = text
        .lines()
        .enumerate()
        .filter(|(i, _)| *i != 1)
        .map(|(_, l)| l)
        .collect();
    std::fs::write(&path, kept.join("\n") + "\n").expect("write");
    let err = verify(&path).expect_err("cut");
    assert!(matches!(err, AuditError::Broken { line: 2, .. }), "{err}");
    assert!(err.to_string().contains("removed"), "{err}");
}

#[test]
fn a_torn_last_line_is_tolerated_and_the_next_append_continues_the_chain() {
    let path = temp("torn");
    let log = write_three(&path);
    let mut f = OpenOptions::new().append(true).open(&path).expect("open");
    f.write_all(b"{\"seq\":4,\"phase\":\"int")
        .expect("torn write");
    let report = verify(&path).expect("tolerated");
    assert_eq!((report.entries, report.torn.clone()), (3, vec![4]));
    log.append(&rec(Phase::Intent, "p2", None))
        .expect("append after torn");
    let report = verify(&path).expect("still verifies");
    assert_eq!(report.entries, 4);
    assert_eq!(report.torn, vec![4]);
    assert_eq!(report.unfinished.len(), 1);
    assert_eq!(report.unfinished[0].plan_id, "p2");
    assert_eq!(report.unfinished[0].last_phase, "intent");
}

#[test]
fn intents_without_results_are_listed() {
    let path = temp("open");
    let log = AuditLog::new(path.clone());
    log.append(&rec(Phase::Intent, "a", None)).expect("a");
    log.append(&rec(Phase::Intent, "b", None)).expect("b");
    log.append(&rec(Phase::Result, "b", Some("ok")))
        .expect("b result");
    log.append(&rec(Phase::Intent, "c", None)).expect("c");
    log.append(&rec(Phase::Result, "c", Some("error")))
        .expect("c result");
    let report = verify(&path).expect("verifies");
    let open: Vec<(&str, &str)> = report
        .unfinished
        .iter()
        .map(|u| (u.plan_id.as_str(), u.last_phase.as_str()))
        .collect();
    assert_eq!(open, vec![("a", "intent"), ("b", "result")]);
    assert!(
        report
            .lines()
            .iter()
            .any(|l| l.contains("no result on record"))
    );
}

#[test]
fn a_cut_tail_is_told_by_the_head() {
    let path = temp("head-cut");
    write_three(&path);
    assert!(verify(&path).expect("whole").head);
    let text = std::fs::read_to_string(&path).expect("read");
    let kept: Vec<&str> = text.lines().take(2).collect();
    std::fs::write(&path, kept.join("\n") + "\n").expect("cut the last line");
    let err = verify(&path).expect_err("cut");
    let said = err.to_string();
    assert!(said.contains("ends at seq 2"), "{said}");
    assert!(said.contains("records seq 3"), "{said}");
    assert!(said.contains("cut off"), "{said}");
}

#[test]
fn a_head_one_line_behind_is_a_crash_between_two_writes() {
    let path = temp("head-behind");
    write_three(&path);
    let lines: Vec<Value> = std::fs::read_to_string(&path)
        .expect("read")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    let second = lines[1]["hash"].as_str().expect("hash");
    write_head(&path, 2, second).expect("head");
    let report = verify(&path).expect("a lagging head is tolerated");
    assert!(report.head);
    write_head(&path, 2, "0000").expect("head");
    let err = verify(&path).expect_err("a replaced line");
    assert!(err.to_string().contains("replaced"), "{err}");
}

#[test]
fn a_full_disk_refuses_the_line_with_the_reason() {
    let log = AuditLog::new(PathBuf::from("/dev/full"));
    log.check_writable().expect("the device opens");
    let err = log
        .append(&rec(Phase::Intent, "p1", None))
        .expect_err("nothing fits");
    assert!(err.to_string().contains("No space left on device"), "{err}");
}
