//! Celery, RQ and stream replies as Redis sends them (RESP2 arrays or RESP3 maps), in the
//! order opsdeck's two pipelined trips ask for them; some swapped for any other reply.

use opsdeck::config::{QueueConfig, QueueKind};
use opsdeck::queues::redis_read::read_replies;
use proptest::collection::vec;
use proptest::prelude::*;
use redis::Value;

use super::{Fuzz, Target};

const NOW_MS: i64 = 1_795_608_000_000;
const CELERY_MSG: &str = r#"{"body":"e30=","headers":{"eta":"2026-11-25T11:59:00","timestamp":1795607940.5},"properties":{"timestamp":1795607940,"delivery_info":{"routing_key":"generate"}}}"#;

fn queue(name: &str, kind: QueueKind, group: Option<&str>) -> QueueConfig {
    QueueConfig {
        name: name.into(),
        kind,
        url: "redis://127.0.0.1:6379/0".into(),
        consumer: None,
        password_env: None,
        group: group.map(String::from),
        keyprefix: None,
        visibility_timeout: Some(60),
        vhost: None,
    }
}

fn queues() -> Vec<QueueConfig> {
    vec![
        queue("generate", QueueKind::Celery, None),
        queue("publish", QueueKind::Rq, None),
        queue("events", QueueKind::Stream, Some("workers")),
    ]
}

fn bulk(s: &str) -> Value {
    Value::BulkString(s.as_bytes().to_vec())
}

/// What a busy platform answers: trip 1, then trip 2.
fn valid() -> (Vec<Value>, Vec<Value>) {
    let unacked_entry = format!(r#"[{CELERY_MSG}, "", "generate"]"#);
    let group = Value::Array(vec![
        bulk("name"),
        bulk("workers"),
        bulk("consumers"),
        Value::Int(2),
        bulk("pending"),
        Value::Int(3),
        bulk("last-delivered-id"),
        bulk("1795607000000-0"),
        bulk("entries-read"),
        Value::Int(40),
        bulk("lag"),
        Value::Int(5),
    ]);
    let trip1 = vec![
        // Celery: LLEN x4, LINDEX x4.
        Value::Int(4),
        Value::Int(0),
        Value::Int(1),
        Value::Int(0),
        bulk(CELERY_MSG),
        Value::Nil,
        bulk(CELERY_MSG),
        Value::Nil,
        // RQ: LLEN, ZCARD x3, SCARD, LINDEX 0.
        Value::Int(7),
        Value::Int(1),
        Value::Int(2),
        Value::Int(0),
        Value::Int(1),
        bulk("job-1"),
        // Stream: XLEN, XINFO GROUPS, XPENDING summary.
        Value::Int(45),
        Value::Array(vec![group]),
        Value::Array(vec![
            Value::Int(3),
            bulk("1795606000000-0"),
            bulk("1795607000000-0"),
            Value::Array(vec![]),
        ]),
        // Celery bookkeeping: HGETALL unacked, ZRANGE unacked_index WITHSCORES.
        Value::Array(vec![bulk("d1"), bulk(&unacked_entry)]),
        Value::Array(vec![bulk("d1"), bulk("1795607000.25")]),
    ];
    let trip2 = vec![
        bulk("2026-11-25T11:50:00.000000Z"),
        Value::Array(vec![Value::Array(vec![
            bulk("1795607100000-0"),
            Value::Array(vec![bulk("k"), bulk("v")]),
        ])]),
    ];
    (trip1, trip2)
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Nil),
        Just(Value::Okay),
        prop_oneof![Just(i64::MIN), Just(i64::MAX), Just(-1i64), any::<i64>()].prop_map(Value::Int),
        prop_oneof![
            Just(f64::NAN),
            Just(-1e300),
            Just(f64::INFINITY),
            any::<f64>()
        ]
        .prop_map(Value::Double),
        prop_oneof![
            Just("18446744073709551615".to_string()),
            Just("-9223372036854775808-0".to_string()),
            Just("9223372036854775807-0".to_string()),
            Just("-1e300".to_string()),
            Just(r#"{"properties":{"timestamp":-1e300}}"#.to_string()),
            Just(r#"{"headers":{"eta":"-009999-01-01T00:00:00Z"}}"#.to_string()),
            Just("9999-12-31T23:59:59Z".to_string()),
            ".{0,20}",
        ]
        .prop_map(|s| bulk(&s)),
        any::<Vec<u8>>().prop_map(Value::BulkString),
        ".{0,10}".prop_map(Value::SimpleString),
    ]
}

fn reply() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 48, 8, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..8).prop_map(Value::Array),
            vec(inner.clone(), 0..8).prop_map(Value::Set),
            vec((inner.clone(), inner), 0..6).prop_map(Value::Map),
        ]
    })
}

type Replies = (Vec<Value>, Vec<Value>);

/// The valid replies with some swapped for any reply, and either trip cut short.
fn replies() -> BoxedStrategy<Replies> {
    (
        vec((any::<usize>(), reply()), 0..6),
        vec((any::<usize>(), reply()), 0..3),
        any::<usize>(),
        any::<usize>(),
    )
        .prop_map(|(swap1, swap2, cut1, cut2)| {
            let (mut t1, mut t2) = valid();
            for (at, v) in swap1 {
                let n = t1.len();
                t1[at % n] = v;
            }
            for (at, v) in swap2 {
                let n = t2.len();
                t2[at % n] = v;
            }
            if cut1 % 4 == 0 {
                t1.truncate(cut1 % (t1.len() + 1));
            }
            if cut2 % 4 == 0 {
                t2.truncate(cut2 % (t2.len() + 1));
            }
            (t1, t2)
        })
        .boxed()
}

fn redis_queues((trip1, trip2): &Replies) -> Result<(), String> {
    let samples = read_replies(&queues(), trip1, trip2, NOW_MS);
    if samples.len() != 3 {
        return Err(format!("{} samples for 3 queues", samples.len()));
    }
    for s in &samples {
        if let Some(age) = s.oldest_age_secs
            && (age.is_nan() || age < 0.0)
        {
            return Err(format!("{}: age {age}", s.name));
        }
    }
    Ok(())
}

pub fn targets() -> Vec<Box<dyn Fuzz>> {
    vec![Box::new(Target {
        name: "redis_queues",
        input: replies(),
        check: redis_queues,
    })]
}
