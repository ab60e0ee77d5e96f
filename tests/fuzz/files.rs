//! The files a user writes: config, keymap, theme, runbook and SLO files. An error names the
//! file and a line inside it; a valid config survives being written back.

use std::path::Path;
use std::time::Duration;

use opsdeck::actions::runbook::Runbook;
use opsdeck::config::{Config, ConfigError};
use opsdeck::core::keymap::{Key, Keymap};
use opsdeck::core::panes::views;
use opsdeck::slo::spec::parse_file;
use opsdeck::ui::theme::Theme;
use proptest::prelude::*;

use super::{Fuzz, Target, mutate, tree};

fn seeds(files: &[&[u8]]) -> Vec<Vec<u8>> {
    files.iter().map(|f| f.to_vec()).collect()
}

fn toml_input(files: &[&[u8]]) -> BoxedStrategy<String> {
    mutate::text(seeds(files), tree::toml(seeds(files)))
}

/// `file:line:col` inside the text: line 1 up to one past its last line (YAML counts a lone
/// carriage return as a line break too).
fn placed(e: &ConfigError, file: &str, text: &str) -> Result<(), String> {
    let lines = text.matches('\n').count() + text.matches('\r').count() + 1;
    if e.file != file || e.line == 0 || e.line > lines || e.column == 0 {
        return Err(format!("misplaced error {e} (file has {lines} lines)"));
    }
    if !e.to_string().starts_with(&format!("{file}:{}:", e.line)) {
        return Err(format!("error does not start with its place: {e}"));
    }
    Ok(())
}

/// A TOML syntax error says which line.
fn toml_line(text: &str, error: &str) -> Result<(), String> {
    if toml::from_str::<toml::Table>(text).is_err() && !error.contains("line") {
        return Err(format!("syntax error without a line: {error}"));
    }
    Ok(())
}

fn config(text: &str) -> Result<(), String> {
    match Config::parse(text, "fuzz.toml") {
        Err(e) => placed(&e, "fuzz.toml", text),
        Ok(c) => {
            let _ = c.for_contexts(&["a".into(), "b".into()]);
            // Written back and read again, it is the same config.
            let Ok(written) = toml::to_string(&c) else {
                return Ok(());
            };
            let again = Config::parse(&written, "again.toml").map_err(|e| e.to_string())?;
            let rewritten = toml::to_string(&again).map_err(|e| e.to_string())?;
            (rewritten == written)
                .then_some(())
                .ok_or_else(|| format!("round trip changed it:\n{written}\n---\n{rewritten}"))
        }
    }
}

fn keymap(text: &str) -> Result<(), String> {
    let views = views();
    let mut km = Keymap::default_keymap(&views);
    match km.merge_toml(text, &views) {
        Err(e) => toml_line(text, &e),
        Ok(_warnings) => Ok(()),
    }
}

/// A key spec that parses reads back from its own label.
fn key(text: &str) -> Result<(), String> {
    let Ok(k) = Key::parse(text) else {
        return Ok(());
    };
    match Key::parse(&k.label()) {
        Ok(again) if again == k => Ok(()),
        other => Err(format!("{text:?} -> {} -> {other:?}", k.label())),
    }
}

fn theme(text: &str) -> Result<(), String> {
    match Theme::from_toml(text) {
        Err(e) => toml_line(text, &e),
        Ok(_) => Ok(()),
    }
}

fn runbook(text: &str) -> Result<(), String> {
    match Runbook::parse(text, "fuzz.toml") {
        Err(e) => placed(&e, "fuzz.toml", text),
        Ok(_) => Ok(()),
    }
}

fn slo(text: &str) -> Result<(), String> {
    match parse_file(text, Path::new("fuzz.yaml")) {
        Err(errors) => errors.iter().try_for_each(|e| placed(e, "fuzz.yaml", text)),
        Ok(slos) => {
            for s in &slos {
                let _ = s.sli.error_ratio_query(Duration::from_secs(300));
                let _ = s.sli.error_ratio_query(s.period);
            }
            Ok(())
        }
    }
}

pub fn targets() -> Vec<Box<dyn Fuzz>> {
    let configs: &[&[u8]] = &[
        include_bytes!("../configs/valid/full.toml"),
        include_bytes!("../configs/valid/minimal.toml"),
    ];
    let keymaps: &[&[u8]] = &[
        include_bytes!("../../keymaps/default.toml"),
        include_bytes!("../../keymaps/vim.toml"),
        include_bytes!("../../keymaps/emacs.toml"),
    ];
    let themes: &[&[u8]] = &[
        include_bytes!("../../themes/default.toml"),
        include_bytes!("../../themes/mono.toml"),
    ];
    let runbooks: &[&[u8]] = &[
        include_bytes!("../../runbooks/bad-rollout.toml"),
        include_bytes!("../../runbooks/cost-spike.toml"),
        include_bytes!("../../runbooks/crashloop.toml"),
        include_bytes!("../../runbooks/high-cost-resume.toml"),
        include_bytes!("../../runbooks/high-cost.toml"),
        include_bytes!("../../runbooks/node-notready.toml"),
        include_bytes!("../../runbooks/pipeline-stuck.toml"),
        include_bytes!("../../runbooks/queue-backlog.toml"),
    ];
    let slos: &[&[u8]] = &[
        include_bytes!("../../examples/slos/api.yaml"),
        include_bytes!("../../examples/slos/pipeline.yaml"),
        include_bytes!("../../examples/slos/publish.yaml"),
    ];
    let key_specs = prop_oneof![
        "(ctrl|alt|shift|C|M|S)-.{0,6}",
        "[a-zA-Z0-9<>\\-+ ]{0,12}",
        ".{0,12}"
    ];
    vec![
        Box::new(Target {
            name: "config",
            input: toml_input(configs),
            check: |t| config(t),
        }),
        Box::new(Target {
            name: "keymap",
            input: toml_input(keymaps),
            check: |t| keymap(t),
        }),
        Box::new(Target {
            name: "key",
            input: key_specs.boxed(),
            check: |t| key(t),
        }),
        Box::new(Target {
            name: "theme",
            input: toml_input(themes),
            check: |t| theme(t),
        }),
        Box::new(Target {
            name: "runbook",
            input: toml_input(runbooks),
            check: |t| runbook(t),
        }),
        Box::new(Target {
            name: "slo",
            input: mutate::text(seeds(slos), tree::yaml(seeds(slos))),
            check: |t| slo(t),
        }),
    ]
}
