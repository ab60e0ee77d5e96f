//! The platform's series (PLATFORM.md) and the baselines their history is built from, chosen so
//! the SLO panes look like a healthy month: some budget spent, none exhausted.

use super::series::{Factor, Kind, Series, Term};
use super::shape::{DAY, Shape, WEEK};

const HOUR: f64 = 3600.0;

/// Mean API requests per second over a day.
const API_RPS: f64 = 25.0;
/// Routes and their share of API traffic.
const ROUTES: [(&str, f64); 3] = [
    ("/api/articles", 0.5),
    ("/api/articles/{id}", 0.38),
    ("/api/generate", 0.12),
];
const NOT_FOUND_SHARE: f64 = 0.006;
/// Mean share of API requests that are 5xx: 0.035% of a 0.1% budget.
const ERROR_SHARE: f64 = 0.000_35;
/// Mean share of API requests slower than 1 s: 0.4% of a 1% budget.
const SLOW_SHARE: f64 = 0.004;
/// Histogram bounds; those up to 0.5 s hold a fixed share of requests, those above hold all but
/// a share of the slow ones.
const FAST_BUCKETS: [(&str, f64); 3] = [("0.1", 0.55), ("0.25", 0.82), ("0.5", 0.95)];
const SLOW_BUCKETS: [(&str, f64); 3] = [("1", 1.0), ("2.5", 0.25), ("5", 0.075)];

/// Generate runs per day (the pipeline's volume), and the failure share of each stage.
const RUNS_PER_DAY: f64 = 2050.0;
const STAGES: [(&str, f64); 3] = [
    ("generate", 0.0035),
    ("fact_check", 0.0035),
    ("publish", 0.015),
];

/// (provider, model, service, share of runs, prompt and completion tokens per run, USD per
/// million prompt and completion tokens): about $36 a day in all.
type Llm = (
    &'static str,
    &'static str,
    &'static str,
    f64,
    f64,
    f64,
    f64,
    f64,
);
const LLMS: [Llm; 4] = [
    (
        "openai",
        "gpt-4o",
        "article-generator",
        0.6,
        1800.0,
        900.0,
        2.5,
        10.0,
    ),
    (
        "anthropic",
        "claude-3-5-sonnet",
        "article-generator",
        0.4,
        1800.0,
        900.0,
        3.0,
        15.0,
    ),
    (
        "openai",
        "gpt-4o-mini",
        "fact-checker",
        0.8,
        1500.0,
        300.0,
        0.15,
        0.6,
    ),
    (
        "anthropic",
        "claude-3-5-sonnet",
        "fact-checker",
        0.2,
        1500.0,
        300.0,
        3.0,
        15.0,
    ),
];

/// Indices into the shape table.
const REQUESTS: usize = 0;
const ERRORS: usize = 1;
const SLOW: usize = 2;
const RUNS: usize = 3;
const FAILURES: usize = 4; // one per stage: 4, 5, 6

/// The rate shapes, with incidents placed relative to the sim's start (`start_s`).
pub fn shapes(start_s: f64) -> Vec<Shape> {
    let ago = |days: f64| start_s - days * DAY;
    let mut shapes = vec![
        Shape::flat(API_RPS)
            .wave(0.45, DAY, 14.0 * HOUR)
            .wave(0.1, WEEK, 1.5 * DAY)
            .wave(0.05, DAY / 4.0, 3.0 * HOUR),
        // A 35-minute incident at ~5% errors six days ago.
        Shape::flat(API_RPS * ERROR_SHARE)
            .wave(0.6, DAY, 15.0 * HOUR)
            .wave(0.25, 3.0 * DAY, 0.0)
            .bump(ago(6.4), 35.0 * 60.0, 140.0),
        Shape::flat(API_RPS * SLOW_SHARE)
            .wave(0.5, DAY, 14.0 * HOUR)
            .wave(0.1, WEEK, 1.5 * DAY)
            .bump(ago(12.3), 50.0 * 60.0, 4.0),
        Shape::flat(RUNS_PER_DAY / DAY)
            .wave(0.25, DAY, 13.0 * HOUR)
            .wave(0.12, WEEK, 2.5 * DAY),
    ];
    for (i, _) in STAGES.iter().enumerate() {
        let mut s = Shape::flat(RUNS_PER_DAY / DAY)
            .wave(0.3, DAY, (10.0 + 4.0 * i as f64) * HOUR)
            .wave(0.2, 2.0 * DAY, i as f64 * DAY / 3.0);
        if i == 2 {
            // WordPress was down for two hours two days ago.
            s = s.bump(ago(2.2), 2.0 * HOUR, 3.0);
        }
        shapes.push(s);
    }
    shapes
}

fn term(coef: f64, shape: usize, factor: Factor) -> Term {
    Term {
        coef,
        shape,
        factor,
    }
}

/// Every series the platform exports, in exposition order.
pub fn series() -> Vec<Series> {
    let mut out = api_requests();
    out.extend(api_latency());
    out.extend(pipelines());
    out.extend(llm());
    let mut paused = Series::new("generation_paused", &[], vec![]);
    paused.kind = Kind::PausedGauge;
    out.push(paused);
    out
}

fn api_requests() -> Vec<Series> {
    let mut out = Vec::new();
    for (route, share) in ROUTES {
        let codes = [
            (
                "200",
                vec![
                    term(share * (1.0 - NOT_FOUND_SHARE), REQUESTS, Factor::Api),
                    term(-share, ERRORS, Factor::Api),
                    term(share * 0.05, REQUESTS, Factor::ApiBad),
                ],
            ),
            (
                "404",
                vec![term(share * NOT_FOUND_SHARE, REQUESTS, Factor::Api)],
            ),
            (
                "500",
                vec![
                    term(share * 0.7, ERRORS, Factor::Api),
                    term(share * 0.95, REQUESTS, Factor::ApiBad),
                ],
            ),
            ("503", vec![term(share * 0.3, ERRORS, Factor::Api)]),
        ];
        for (code, terms) in codes {
            out.push(Series::new(
                "http_requests_total",
                &[("service", "api"), ("route", route), ("code", code)],
                terms,
            ));
        }
    }
    out
}

fn api_latency() -> Vec<Series> {
    let all = || {
        vec![
            term(1.0, REQUESTS, Factor::Api),
            term(1.0, REQUESTS, Factor::ApiBad),
        ]
    };
    let mut out = Vec::new();
    let name = "http_request_duration_seconds_bucket";
    for (le, frac) in FAST_BUCKETS {
        let terms = vec![
            term(frac, REQUESTS, Factor::Api),
            // A bad revision fails fast.
            term(1.0, REQUESTS, Factor::ApiBad),
        ];
        out.push(Series::new(name, &[("service", "api"), ("le", le)], terms));
    }
    for (le, slow) in SLOW_BUCKETS {
        let mut terms = all();
        terms.push(term(-slow, SLOW, Factor::Api));
        out.push(Series::new(name, &[("service", "api"), ("le", le)], terms));
    }
    out.push(Series::new(
        name,
        &[("service", "api"), ("le", "+Inf")],
        all(),
    ));
    out.push(Series::new(
        "http_request_duration_seconds_count",
        &[("service", "api")],
        all(),
    ));
    out
}

fn pipelines() -> Vec<Series> {
    let mut out = Vec::new();
    // Each stage sees the runs that survived the stages before it.
    let mut reach = 1.0;
    let mut articles = vec![];
    for (i, (stage, fail)) in STAGES.iter().enumerate() {
        let mut success = vec![
            term(reach, RUNS, Factor::Pipe),
            term(-fail * reach, FAILURES + i, Factor::Pipe),
        ];
        let mut failure = vec![term(fail * reach, FAILURES + i, Factor::Pipe)];
        if i == 0 {
            // Runs on a hung worker time out and fail at generation.
            success.push(term(-1.0, RUNS, Factor::Stuck));
            failure.push(term(1.0, RUNS, Factor::Stuck));
        }
        if i == STAGES.len() - 1 {
            articles = success.clone();
        }
        out.push(Series::new(
            "pipeline_runs_total",
            &[("stage", stage), ("status", "success")],
            success,
        ));
        out.push(Series::new(
            "pipeline_runs_total",
            &[("stage", stage), ("status", "failure")],
            failure,
        ));
        reach *= 1.0 - fail;
    }
    out.push(Series::new("articles_published_total", &[], articles));
    out
}

fn llm() -> Vec<Series> {
    let mut out = Vec::new();
    let mut costs = Vec::new();
    for (provider, model, service, share, prompt, completion, usd_in, usd_out) in LLMS {
        let ids = [
            ("provider", provider),
            ("model", model),
            ("service", service),
        ];
        for (kind, per_run) in [("prompt", prompt), ("completion", completion)] {
            let mut labels = ids.to_vec();
            labels.push(("kind", kind));
            out.push(Series::new(
                "llm_tokens_total",
                &labels,
                vec![term(share * per_run, RUNS, Factor::Llm)],
            ));
        }
        let usd_per_run = (prompt * usd_in + completion * usd_out) / 1e6;
        costs.push(Series::new(
            "llm_cost_usd_total",
            &ids,
            vec![term(share * usd_per_run, RUNS, Factor::Llm)],
        ));
    }
    out.extend(costs);
    out
}
