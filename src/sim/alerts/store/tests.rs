//! The Alertmanager model: fingerprints as the real one computes them, silence updates and
//! replacements, suppression, groups.

use super::*;

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

const NOW: &str = "2026-11-25T12:00:00Z";

fn labels(pairs: &[(&str, &str)]) -> LabelSet {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect()
}

fn matcher(name: &str, value: &str, re: bool, eq: bool) -> (String, String, bool, bool) {
    (name.into(), value.into(), re, eq)
}

fn silence(
    id: Option<&str>,
    m: Vec<(String, String, bool, bool)>,
    from: &str,
    to: &str,
) -> PostedSilence {
    PostedSilence {
        id: id.map(str::to_string),
        matchers: m,
        starts_at: t(from),
        ends_at: t(to),
        created_by: "test".into(),
        comment: "c".into(),
    }
}

fn post(am: &mut Alertmanager, l: LabelSet) {
    let p = PostedAlert {
        labels: l,
        ..PostedAlert::default()
    };
    am.post(vec![p], t(NOW)).unwrap();
}

#[test]
fn fingerprints_are_alertmanagers() {
    // Taken from a real Alertmanager 0.25.
    let x = labels(&[
        ("alertname", "X"),
        ("namespace", "contentgen"),
        ("severity", "page"),
    ]);
    assert_eq!(format!("{:016x}", fingerprint(&x)), "935d4d218b57cab0");
    assert_eq!(
        format!("{:016x}", fingerprint(&labels(&[("alertname", "Y")]))),
        "d2aaefc389c68e6f"
    );
}

#[test]
fn posted_alerts_without_times_start_now_and_time_out_in_five_minutes() {
    let mut am = Alertmanager::new(t(NOW));
    post(&mut am, labels(&[("alertname", "Y")]));
    let v = am.alerts(&AlertQuery::default(), t(NOW));
    assert_eq!(v[0].alert.starts_at, t(NOW));
    assert_eq!(v[0].alert.ends_at, t("2026-11-25T12:05:00Z"));
    assert!(
        am.alerts(&AlertQuery::default(), t("2026-11-25T12:05:00Z"))
            .is_empty()
    );
    let err = am.post(vec![PostedAlert::default()], t(NOW)).unwrap_err();
    assert_eq!(err, "at least one label pair required");
}

#[test]
fn an_active_silence_updates_in_place_only_with_its_start_and_matchers() {
    let mut am = Alertmanager::new(t(NOW));
    let m = vec![matcher("alertname", "X|Z", true, true)];
    // A start in the past becomes now.
    let id = am
        .set_silence(
            silence(
                None,
                m.clone(),
                "2026-11-25T11:00:00Z",
                "2026-11-25T13:00:00Z",
            ),
            t(NOW),
        )
        .unwrap();
    let s = am.silence(&id).unwrap().clone();
    assert_eq!(s.starts_at, t(NOW));
    // Same matchers, same start, new end: the same silence.
    let same = am
        .set_silence(
            silence(Some(&id), m.clone(), NOW, "2026-11-25T14:00:00Z"),
            t(NOW),
        )
        .unwrap();
    assert_eq!(same, id);
    assert_eq!(am.silence(&id).unwrap().ends_at, t("2026-11-25T14:00:00Z"));
    // Another start (as a client that sends its own start back would): expire and replace.
    let later = t("2026-11-25T12:10:00Z");
    let other = am
        .set_silence(
            silence(
                Some(&id),
                m.clone(),
                "2026-11-25T11:00:00Z",
                "2026-11-25T14:00:00Z",
            ),
            later,
        )
        .unwrap();
    assert_ne!(other, id);
    assert_eq!(am.silence(&id).unwrap().state(later), SilenceState::Expired);
    assert_eq!(am.silence(&id).unwrap().ends_at, later);
    // Changed matchers: a new id too.
    let changed = vec![matcher("alertname", "X", false, true)];
    let third = am
        .set_silence(
            silence(Some(&other), changed, NOW, "2026-11-25T14:00:00Z"),
            later,
        )
        .unwrap();
    assert_ne!(third, other);
    assert_eq!(
        am.silence(&other).unwrap().state(later),
        SilenceState::Expired
    );
    // Unknown id.
    assert_eq!(
        am.set_silence(silence(Some("nope"), m, NOW, "2026-11-25T14:00:00Z"), later),
        Err(SilenceError::NotFound)
    );
}

#[test]
fn a_pending_silence_moves_in_place_and_expires_with_both_times_now() {
    let mut am = Alertmanager::new(t(NOW));
    let m = vec![matcher("alertname", "Y", false, true)];
    let id = am
        .set_silence(
            silence(
                None,
                m.clone(),
                "2026-11-25T12:30:00Z",
                "2026-11-25T13:00:00Z",
            ),
            t(NOW),
        )
        .unwrap();
    assert_eq!(
        am.silence(&id).unwrap().state(t(NOW)),
        SilenceState::Pending
    );
    let same = am
        .set_silence(
            silence(Some(&id), m, "2026-11-25T12:40:00Z", "2026-11-25T13:00:00Z"),
            t(NOW),
        )
        .unwrap();
    assert_eq!(same, id);
    am.expire_silence(&id, t(NOW)).unwrap();
    let s = am.silence(&id).unwrap();
    assert_eq!((s.starts_at, s.ends_at), (t(NOW), t(NOW)));
    assert_eq!(
        am.expire_silence(&id, t(NOW)),
        Ok(()),
        "expiring again is fine"
    );
    assert_eq!(
        am.expire_silence("nope", t(NOW)),
        Err(SilenceError::NotFound)
    );
}

#[test]
fn bad_silences_get_alertmanagers_messages() {
    let mut am = Alertmanager::new(t(NOW));
    let err = |am: &mut Alertmanager, s| match am.set_silence(s, t(NOW)) {
        Err(SilenceError::Invalid(m)) => m,
        other => panic!("{other:?}"),
    };
    let m = vec![matcher("alertname", "X", false, true)];
    assert_eq!(
        err(
            &mut am,
            silence(
                None,
                m.clone(),
                "2026-11-25T13:00:00Z",
                "2026-11-25T12:30:00Z"
            )
        ),
        "Failed to create silence: start time must be before end time"
    );
    assert_eq!(
        err(
            &mut am,
            silence(None, m, "2026-11-25T10:00:00Z", "2026-11-25T11:00:00Z")
        ),
        "Failed to create silence: end time can't be in the past"
    );
    assert_eq!(
        err(
            &mut am,
            silence(
                None,
                vec![matcher("a", ".*", true, true)],
                NOW,
                "2026-11-25T13:00:00Z"
            )
        ),
        "silence invalid: at least one matcher must not match the empty string"
    );
    assert!(
        err(
            &mut am,
            silence(
                None,
                vec![matcher("a b", "x", false, true)],
                NOW,
                "2026-11-25T13:00:00Z"
            )
        )
        .starts_with("silence invalid: invalid label matcher 0: invalid label name")
    );
}

#[test]
fn silences_suppress_what_they_match_and_groups_follow_the_route() {
    let mut am = Alertmanager::new(t(NOW));
    for pod in ["b", "a"] {
        post(
            &mut am,
            labels(&[
                ("alertname", "KubePodCrashLooping"),
                ("namespace", "contentgen"),
                ("pod", pod),
                ("severity", "warning"),
            ]),
        );
    }
    post(
        &mut am,
        labels(&[
            ("alertname", "BudgetAtRisk"),
            ("namespace", "contentgen"),
            ("severity", "warning"),
        ]),
    );
    post(&mut am, labels(&[("alertname", "Lonely")]));
    // A regex and a negative matcher: crash loops other than pod a.
    let id = am
        .set_silence(
            silence(
                None,
                vec![
                    matcher("alertname", "Kube.*", true, true),
                    matcher("pod", "a", false, false),
                ],
                NOW,
                "2026-11-25T13:00:00Z",
            ),
            t(NOW),
        )
        .unwrap();
    let all = am.alerts(&AlertQuery::default(), t(NOW));
    let suppressed: Vec<&str> = all
        .iter()
        .filter(|v| v.state() == "suppressed")
        .map(|v| v.alert.labels["pod"].as_str())
        .collect();
    assert_eq!(suppressed, ["b"]);
    assert_eq!(
        all.iter()
            .find(|v| v.state() == "suppressed")
            .unwrap()
            .silenced_by,
        [id]
    );
    let q = AlertQuery {
        silenced: false,
        ..AlertQuery::default()
    };
    assert_eq!(am.alerts(&q, t(NOW)).len(), 3);
    let groups = am.groups(&AlertQuery::default(), t(NOW));
    let keys: Vec<Vec<&str>> = groups
        .iter()
        .map(|g| g.labels.values().map(String::as_str).collect())
        .collect();
    assert_eq!(
        keys,
        [
            vec!["Lonely"],
            vec!["BudgetAtRisk", "contentgen"],
            vec!["KubePodCrashLooping", "contentgen"]
        ]
    );
    let pods: Vec<&str> = groups[2]
        .alerts
        .iter()
        .map(|v| v.alert.labels["pod"].as_str())
        .collect();
    assert_eq!(pods, ["a", "b"]);
}
