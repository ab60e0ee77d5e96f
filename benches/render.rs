//! Rendering and reducer costs at 50k pods: the frame of the pods view with a filter, the
//! re-ordering after a filter change, and the bytes and write() calls one changed row costs.
//!
//! `cargo bench --bench render` (criterion); the byte counts print first.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use opsdeck::app::sources::Feeds;
use opsdeck::app::terminal::{FrameWriter, draw as draw_frame};
use opsdeck::cluster::model::{ClusterMsg, Resource, Rows, SourceEvent};
use opsdeck::cluster::pane::PODS;
use opsdeck::cluster::rows::PodRow;
use opsdeck::cluster::source::Namespaces;
use opsdeck::core::draw::draw;
use opsdeck::core::keymap::Keymap;
use opsdeck::core::msg::Msg;
use opsdeck::core::panes::views;
use opsdeck::core::state::Screen;
use opsdeck::core::state::{Connection, State};
use opsdeck::core::update::{prepare, update};
use opsdeck::status::Health;
use opsdeck::ui::symbols::UNICODE;
use opsdeck::ui::theme::Theme;
use ratatui::backend::{CrosstermBackend, TestBackend};
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};

const NOW: i64 = 1_795_608_000;

fn pod(i: usize) -> PodRow {
    let status = if i.is_multiple_of(97) {
        "CrashLoopBackOff"
    } else {
        "Running"
    };
    PodRow {
        context: Default::default(),
        namespace: format!("contentgen-{}", i / 2_500),
        name: format!("article-generator-6d4b7c9f8-{i:06}"),
        workload: Some("article-generator".into()),
        status: status.into(),
        ready: u16::from(status == "Running"),
        containers: 1,
        restarts: (i % 5) as u32,
        last_restart: None,
        last_exit: None,
        node: format!("pool-general-{}", i % 450),
        ip: format!("10.{}.{}.{}", i / 65_536, (i / 256) % 256, i % 256),
        created: NOW - 3_600,
        container_names: vec!["worker".into()],
        health: if status == "Running" {
            Health::Ok
        } else {
            Health::Bad
        },
    }
}

fn state_with_pods(n: usize, width: u16, height: u16) -> State {
    let mut state = State::new(
        Connection::default(),
        Feeds::default().panes(Namespaces::All, vec!["bench".into()], "contentgen"),
        Keymap::default_keymap(&views()),
        NOW,
    );
    let msg = |event| {
        Msg::from(ClusterMsg {
            context: "bench".into(),
            resource: Resource::Pods,
            scope: String::new(),
            event,
        })
    };
    update(&mut state, msg(SourceEvent::ListStarted));
    update(
        &mut state,
        msg(SourceEvent::Applied(Rows::Pods((0..n).map(pod).collect()))),
    );
    update(&mut state, msg(SourceEvent::ListDone));
    update(&mut state, Msg::Resized { width, height });
    state.stack.push(Screen::of(PODS));
    prepare(&mut state);
    state
}

/// Bytes and write() calls for one pod whose status changes, after a full first frame.
fn one_changed_row(width: u16, height: u16) -> (u64, u64, u64) {
    let mut state = state_with_pods(50_000, width, height);
    state.panes.cluster.pods.filter = "article".into();
    prepare(&mut state);
    let frames = FrameWriter::new(Vec::new());
    let backend = CrosstermBackend::new(frames.clone());
    let options = TerminalOptions {
        viewport: Viewport::Fixed(Rect::new(0, 0, width, height)),
    };
    let mut terminal = Terminal::with_options(backend, options).expect("terminal");
    let theme = Theme::default_for(false);
    draw_frame(&mut terminal, &frames, |f| {
        draw(f, &state, &theme, &UNICODE)
    })
    .expect("frame");
    let (w0, b0) = frames.counters();
    let slot = state.panes.cluster.pods.rows[3];
    let mut changed = state
        .panes
        .cluster
        .model
        .pods
        .get(slot)
        .expect("row")
        .clone();
    changed.status = "CrashLoopBackOff".into();
    changed.health = Health::Bad;
    changed.ready = 0;
    changed.restarts += 1;
    update(
        &mut state,
        Msg::from(ClusterMsg {
            context: "bench".into(),
            resource: Resource::Pods,
            scope: String::new(),
            event: SourceEvent::Applied(Rows::Pods(vec![changed])),
        }),
    );
    prepare(&mut state);
    draw_frame(&mut terminal, &frames, |f| {
        draw(f, &state, &theme, &UNICODE)
    })
    .expect("frame");
    let (w1, b1) = frames.counters();
    (b0, b1 - b0, w1 - w0)
}

fn benches(c: &mut Criterion) {
    for (w, h) in [(80, 24), (200, 50)] {
        let (first, bytes, writes) = one_changed_row(w, h);
        println!("{w}x{h}: first frame {first} B; one changed row {bytes} B in {writes} write()");
    }

    let theme = Theme::default_for(false);
    for (w, h) in [(80u16, 24u16), (200, 50)] {
        let mut state = state_with_pods(50_000, w, h);
        state.panes.cluster.pods.filter = "generator".into();
        prepare(&mut state);
        let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("terminal");
        c.bench_function(&format!("frame_pods_50k_filtered_{w}x{h}"), |b| {
            b.iter(|| {
                terminal
                    .draw(|f| draw(f, black_box(&state), &theme, &UNICODE))
                    .expect("frame");
            })
        });
    }

    let mut state = state_with_pods(50_000, 200, 50);
    let mut flip = false;
    c.bench_function("filter_change_50k", |b| {
        b.iter(|| {
            flip = !flip;
            state.panes.cluster.pods.filter = if flip {
                "crash".into()
            } else {
                "pool-general-1".into()
            };
            prepare(black_box(&mut state));
        })
    });
}

/// One watch message of BATCH (250) changed pods applied to a store of 500,000 (ten clusters of
/// 50,000): the rows, their slots and the figures across pods kept with them.
fn apply_benches(c: &mut Criterion) {
    use opsdeck::cluster::model::ClusterModel;
    let msg = |event| ClusterMsg {
        context: "bench".into(),
        resource: Resource::Pods,
        scope: String::new(),
        event,
    };
    let mut model = ClusterModel::default();
    model.apply(msg(SourceEvent::ListStarted), NOW);
    for chunk in (0..500_000).collect::<Vec<_>>().chunks(10_000) {
        let rows = chunk.iter().map(|&i| pod(i)).collect();
        model.apply(msg(SourceEvent::Applied(Rows::Pods(rows))), NOW);
    }
    model.apply(msg(SourceEvent::ListDone), NOW);
    let changed: Vec<PodRow> = (0..250)
        .map(|i| {
            let mut p = pod(i * 1_999);
            p.restarts += 1;
            p
        })
        .collect();
    c.bench_function("apply_250_changed_pods_on_500k", |b| {
        b.iter(|| {
            let rows = Rows::Pods(changed.clone());
            model.apply(black_box(msg(SourceEvent::Applied(rows))), NOW);
        })
    });
}

criterion_group! {
    name = render;
    config = Criterion::default().sample_size(30);
    targets = benches, apply_benches
}
criterion_main!(render);
