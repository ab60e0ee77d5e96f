//! SLO files as teams write them — Sloth (`prometheus/v1` and its `PrometheusServiceLevel` CRD),
//! OpenSLO v1 and Pyrra — read into one [`Slo`] type, with every error naming file:line:col, the
//! SLO and what is wrong. This module holds the types, the reading of files and documents, the
//! errors all formats share and the dispatch to each format's module.

mod openslo;
mod pyrra;
mod sloth;
mod template;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use serde_saphyr::{Location, Spanned};

use super::duration::parse_duration;
use crate::config::ConfigError;
use openslo::{OPENSLO_SKIPPED, OsloSliSpec, OsloSloDoc, openslo_sli_doc, openslo_slo};
use pyrra::pyrra;
use sloth::{sloth_crd, sloth_file};
pub use template::Template;

/// Same shape and `file:line:col: message` Display as the config file's errors.
pub type SloFileError = ConfigError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SloFormat {
    Sloth,
    OpenSlo,
    Pyrra,
}

/// Where an SLO was defined, so the UI and errors can point back at the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SloSource {
    pub file: PathBuf,
    /// 1-based line of the SLO's name.
    pub line: usize,
    pub format: SloFormat,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Slo {
    pub name: String,
    pub service: String,
    pub description: Option<String>,
    pub source: SloSource,
    /// 0..1, e.g. 0.999.
    pub objective: f64,
    pub period: Duration,
    pub sli: Sli,
    pub labels: BTreeMap<String, String>,
    /// Sloth's `{service}-{name}`: the `sloth_id` label on its recording rules
    /// (`slo:sli_error:ratio_rate5m{sloth_id=...}`), which a source may read instead.
    pub sloth_id: Option<String>,
    /// Sloth's `alerting.name` (`ApiHighErrorRate`): the alert its burn-rate rules raise.
    pub alert_name: Option<String>,
    /// Pyrra's `grouping`: kept for display; the rendered queries aggregate over it.
    pub grouping: Vec<String>,
}

impl Slo {
    /// `service/name`, the identity duplicates are checked on.
    pub fn key(&self) -> String {
        format!("{}/{}", self.service, self.name)
    }
}

/// The indicator, as error/good/total queries that can be rendered for any window.
#[derive(Clone, Debug, PartialEq)]
pub enum Sli {
    Events {
        error_query: Template,
        total_query: Template,
    },
    Good {
        good_query: Template,
        total_query: Template,
    },
    ErrorRatio {
        query: Template,
    },
}

impl Sli {
    /// One PromQL expression for the error ratio over `window`.
    pub fn error_ratio_query(&self, window: Duration) -> String {
        match self {
            Sli::Events {
                error_query,
                total_query,
            } => format!(
                "({})\n/\n({})",
                error_query.render(window),
                total_query.render(window)
            ),
            Sli::Good {
                good_query,
                total_query,
            } => format!(
                "1 - (\n({})\n/\n({})\n)",
                good_query.render(window),
                total_query.render(window)
            ),
            Sli::ErrorRatio { query } => query.render(window),
        }
    }
}

const SUPPORTED: &str = "supported are Sloth (version: \"prometheus/v1\"), OpenSLO (apiVersion: \
                         openslo/v1, kind: SLO) and Pyrra (apiVersion: pyrra.dev/v1alpha1, kind: \
                         ServiceLevelObjective)";

/// One YAML document of a file, with where it starts, so errors point into the whole file.
struct Doc<'a> {
    file: &'a Path,
    text: &'a str,
    /// Lines before this document in the file.
    offset: usize,
}

impl Doc<'_> {
    fn error_at(&self, line: usize, column: usize, message: String) -> SloFileError {
        SloFileError {
            file: self.file.display().to_string(),
            line: line + self.offset,
            column,
            message,
        }
    }

    fn at(&self, loc: Location, message: String) -> SloFileError {
        let line = usize::try_from(loc.line()).unwrap_or(0).max(1);
        let column = usize::try_from(loc.column()).unwrap_or(0).max(1);
        self.error_at(line, column, message)
    }

    /// serde-saphyr's error at its location, with its message minus the location it repeats.
    fn yaml(&self, e: &serde_saphyr::Error) -> SloFileError {
        let plain = e.without_snippet();
        let loc = plain.location().unwrap_or(Location::UNKNOWN);
        let text = plain.to_string();
        let first = text.lines().next().unwrap_or(&text);
        let message = first
            .rsplit_once(" at line ")
            .map_or(first, |(m, _)| m)
            .trim()
            .to_string();
        self.at(loc, suggest(&message))
    }

    fn source(&self, name: &Spanned<String>, format: SloFormat) -> SloSource {
        SloSource {
            file: self.file.to_path_buf(),
            line: usize::try_from(name.referenced.line()).unwrap_or(0) + self.offset,
            format,
        }
    }

    fn parse<'de, T: Deserialize<'de>>(&self, text: &'de str) -> Result<T, SloFileError> {
        serde_saphyr::from_str(text).map_err(|e| self.yaml(&e))
    }
}

/// Adds "did you mean `x`?" to serde's "unknown field `y`, expected one of a, b, ...".
fn suggest(message: &str) -> String {
    let Some(rest) = message.strip_prefix("unknown field `") else {
        return message.to_string();
    };
    let Some((field, rest)) = rest.split_once('`') else {
        return message.to_string();
    };
    let Some((_, expected)) = rest.split_once("expected one of ") else {
        return message.to_string();
    };
    let nearest = expected
        .split(',')
        .map(|k| k.trim().trim_matches('`'))
        .map(|k| (strsim::levenshtein(field, k), k))
        .filter(|(d, _)| *d <= 3)
        .min();
    match nearest {
        Some((_, k)) => format!("{message}; did you mean `{k}`?"),
        None => message.to_string(),
    }
}

/// Splits a file into its `---`-separated documents. Each keeps its marker line so line numbers
/// inside it stay true once the offset is added.
fn documents<'a>(text: &'a str, file: &'a Path) -> Vec<Doc<'a>> {
    let mut docs = vec![];
    let mut start = 0;
    let mut start_line = 0;
    let mut pos = 0;
    for (line_no, line) in text.split_inclusive('\n').enumerate() {
        let is_marker =
            line.starts_with("---") && line[3..].chars().next().is_none_or(char::is_whitespace);
        if is_marker && pos > start {
            docs.push(Doc {
                file,
                text: &text[start..pos],
                offset: start_line,
            });
            start = pos;
            start_line = line_no;
        }
        pos += line.len();
    }
    docs.push(Doc {
        file,
        text: &text[start..],
        offset: start_line,
    });
    docs.retain(|d| d.text.lines().any(has_content));
    docs
}

fn has_content(line: &str) -> bool {
    let t = line.trim();
    !(t.is_empty() || t.starts_with('#') || t == "---" || t == "...")
}

#[derive(Deserialize)]
#[serde(rename = "SLO document")]
struct Header {
    version: Option<Spanned<String>>,
    #[serde(rename = "apiVersion")]
    api_version: Option<Spanned<String>>,
    kind: Option<Spanned<String>>,
}

/// What one document turned out to be.
enum Parsed {
    Slos(Vec<Slo>),
    /// An SLI's name, spec and where its spec starts (its errors are its document's lines).
    OpenSloSli(String, Box<OsloSliSpec>, Location),
    OpenSloSlo(Box<OsloSloDoc>),
    Skipped,
}

/// Reads every SLO in one file's text. Errors are collected per SLO, so one bad SLO does not
/// hide the others' problems.
pub fn parse_file(text: &str, file: &Path) -> Result<Vec<Slo>, Vec<SloFileError>> {
    let mut slos = vec![];
    let mut errors = vec![];
    let mut slis = BTreeMap::new();
    let mut pending = vec![];
    let docs = documents(text, file);
    for doc in &docs {
        match parse_document(doc) {
            Ok(Parsed::Slos(s)) => slos.extend(s),
            Ok(Parsed::OpenSloSli(name, spec, at)) => {
                slis.insert(name, (doc, *spec, at));
            }
            Ok(Parsed::OpenSloSlo(slo)) => pending.push((doc, slo)),
            Ok(Parsed::Skipped) => {}
            Err(e) => errors.extend(e),
        }
    }
    // OpenSLO SLOs last: an `indicatorRef` may name an SLI defined further down the file.
    for (doc, slo) in pending {
        match openslo_slo(doc, *slo, &slis) {
            Ok(s) => slos.push(s),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(slos)
    } else {
        Err(errors)
    }
}

fn parse_document(doc: &Doc) -> Result<Parsed, Vec<SloFileError>> {
    let header: Header = doc.parse(doc.text).map_err(|e| vec![e])?;
    let kind = header.kind.as_ref().map(|k| k.value.as_str());
    if let Some(v) = &header.version {
        if v.value == "prometheus/v1" {
            return sloth_file(doc).map(Parsed::Slos);
        }
        let msg = format!("unknown SLO format (version {:?}): {SUPPORTED}", v.value);
        return Err(vec![doc.at(v.referenced, msg)]);
    }
    let Some(api) = &header.api_version else {
        let msg = format!("not an SLO file (no version or apiVersion): {SUPPORTED}");
        return Err(vec![doc.error_at(first_content_line(doc.text), 1, msg)]);
    };
    let one = |r: Result<Parsed, SloFileError>| r.map_err(|e| vec![e]);
    match (api.value.as_str(), kind) {
        ("openslo/v1", Some("SLO")) => {
            one(doc.parse(doc.text).map(|s| Parsed::OpenSloSlo(Box::new(s))))
        }
        ("openslo/v1", Some("SLI")) => one(openslo_sli_doc(doc)
            .map(|(name, spec, at)| Parsed::OpenSloSli(name, Box::new(spec), at))),
        ("openslo/v1", Some(k)) if OPENSLO_SKIPPED.contains(&k) => Ok(Parsed::Skipped),
        ("pyrra.dev/v1alpha1", Some("ServiceLevelObjective")) => {
            one(pyrra(doc).map(|s| Parsed::Slos(vec![s])))
        }
        ("sloth.slok.dev/v1", Some("PrometheusServiceLevel")) => sloth_crd(doc).map(Parsed::Slos),
        (a, k) => {
            let known = ["openslo/v1", "pyrra.dev/v1alpha1", "sloth.slok.dev/v1"].contains(&a);
            let at = match &header.kind {
                Some(k) if known => k.referenced,
                _ => api.referenced,
            };
            let kind = k.map_or(String::new(), |k| format!(", kind {k:?}"));
            let msg = format!("unknown SLO format (apiVersion {a:?}{kind}): {SUPPORTED}");
            Err(vec![doc.at(at, msg)])
        }
    }
}

fn first_content_line(text: &str) -> usize {
    text.lines().position(has_content).map_or(1, |i| i + 1)
}

/// "SLO \"name\": what is wrong", at the offending value.
fn slo_error(doc: &Doc, name: &str, at: Location, what: impl std::fmt::Display) -> SloFileError {
    doc.at(at, format!("SLO {name:?}: {what}"))
}

/// Like [`slo_error`], but at `key:` itself: for a mapping value serde points at its first
/// inner key, one line too deep, so the key is looked up in the text above that point.
fn key_error(doc: &Doc, name: &str, at: Location, key: &str, what: &str) -> SloFileError {
    let line = usize::try_from(at.line()).unwrap_or(0);
    let lines: Vec<&str> = doc.text.lines().take(line).collect();
    let found = lines.iter().enumerate().rev().find_map(|(i, l)| {
        let col = l.find(&format!("{key}:"))?;
        let before = l[..col].trim_start_matches([' ', '-']);
        before.is_empty().then_some((i + 1, col + 1))
    });
    match found {
        Some((line, column)) => doc.error_at(line, column, format!("SLO {name:?}: {what}")),
        None => slo_error(doc, name, at, what),
    }
}

fn percent_objective(
    doc: &Doc,
    name: &str,
    key: &str,
    value: f64,
    at: Location,
) -> Result<f64, SloFileError> {
    if value > 0.0 && value < 100.0 {
        Ok(percent_to_ratio(value))
    } else {
        let what =
            format!("{key} {value} is out of range: a percent above 0 and below 100, like 99.9");
        Err(slo_error(doc, name, at, what))
    }
}

/// Percent to ratio, rounded to 12 decimals so 99.9 reads as 0.999 and not 0.9990000000000001.
fn percent_to_ratio(percent: f64) -> f64 {
    (percent * 1e10).round() / 1e12
}

fn period(
    doc: &Doc,
    name: &str,
    key: &str,
    text: &Spanned<String>,
) -> Result<Duration, SloFileError> {
    parse_duration(&text.value)
        .map_err(|e| slo_error(doc, name, text.referenced, format!("{key}: {e}")))
}

// ---------------------------------------------------------------- loading

/// Reads SLO files and directories (every `*.yaml`/`*.yml` directly inside, sorted by name).
/// All errors are returned together, including SLOs defined twice (same service and name).
pub fn load_paths(paths: &[PathBuf]) -> Result<Vec<Slo>, Vec<SloFileError>> {
    let mut slos = vec![];
    let mut errors = vec![];
    for path in paths {
        match files_in(path) {
            Ok(files) => {
                for f in files {
                    match load_file(&f) {
                        Ok(s) => slos.extend(s),
                        Err(e) => errors.extend(e),
                    }
                }
            }
            Err(e) => errors.push(e),
        }
    }
    errors.extend(duplicates(&slos));
    if errors.is_empty() {
        Ok(slos)
    } else {
        Err(errors)
    }
}

fn io_error(path: &Path, e: &std::io::Error) -> SloFileError {
    SloFileError {
        file: path.display().to_string(),
        line: 0,
        column: 0,
        message: e.to_string(),
    }
}

fn files_in(path: &Path) -> Result<Vec<PathBuf>, SloFileError> {
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let entries = std::fs::read_dir(path).map_err(|e| io_error(path, &e))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    files.sort();
    Ok(files)
}

pub fn load_file(path: &Path) -> Result<Vec<Slo>, Vec<SloFileError>> {
    let text = std::fs::read_to_string(path).map_err(|e| vec![io_error(path, &e)])?;
    parse_file(&text, path)
}

fn duplicates(slos: &[Slo]) -> Vec<SloFileError> {
    let mut seen: BTreeMap<String, &SloSource> = BTreeMap::new();
    let mut errors = vec![];
    for s in slos {
        let key = s.key();
        if let Some(first) = seen.get(&key) {
            errors.push(SloFileError {
                file: s.source.file.display().to_string(),
                line: s.source.line,
                column: 1,
                message: format!(
                    "duplicate SLO {key:?}: first defined at {}:{}",
                    first.file.display(),
                    first.line
                ),
            });
        } else {
            seen.insert(key, &s.source);
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::openslo::tests::OPENSLO_TWO;
    use super::*;

    // DAY, parse, one and load serve the format modules' tests too.
    pub(super) const DAY: u64 = 86_400;

    pub(super) fn parse(text: &str) -> Result<Vec<Slo>, String> {
        parse_file(text, Path::new("t.yaml")).map_err(|e| join(&e))
    }

    fn join(errors: &[SloFileError]) -> String {
        errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    }

    pub(super) fn one(text: &str) -> Slo {
        let mut slos = parse(text).expect("parses");
        assert_eq!(slos.len(), 1);
        slos.remove(0)
    }

    pub(super) fn load(path: &str) -> Vec<Slo> {
        load_file(Path::new(path)).expect("example parses")
    }

    #[test]
    fn invalid_fixtures_give_exact_errors() {
        let supported = "supported are Sloth (version: \"prometheus/v1\"), OpenSLO (apiVersion: \
                         openslo/v1, kind: SLO) and Pyrra (apiVersion: pyrra.dev/v1alpha1, kind: \
                         ServiceLevelObjective)";
        let cases = [
            (
                "bad_window.yaml",
                "7:11: SLO \"pipeline-success\": window: cannot read duration \"30x\" \
                 (Prometheus style, like 5m, 1h, 30d, 4w, 1d12h)"
                    .to_string(),
            ),
            (
                "missing_query.yaml",
                "7:7: SLO \"api-availability\": sli.events needs total_query".into(),
            ),
            (
                "misspelt_key.yaml",
                "5:5: unknown field `objetive`, expected one of name, objective, description, \
                 labels, sli, alerting; did you mean `objective`?"
                    .into(),
            ),
            (
                "objective_out_of_range.yaml",
                "5:16: SLO \"api-availability\": objective 150 is out of range: a percent \
                 above 0 and below 100, like 99.9"
                    .into(),
            ),
            (
                "sloth_plugin.yaml",
                "7:7: SLO \"api-availability\": SLI plugins (sli.plugin) are not supported: \
                 write the queries as sli.events or sli.raw"
                    .into(),
            ),
            ("syntax.yaml", "5:16: unclosed bracket '['".into()),
            (
                "timeslices.yaml",
                "28:20: SLO \"api-availability\": budgetingMethod Timeslices is not supported \
                 (only Occurrences)"
                    .into(),
            ),
            (
                "unknown_format.yaml",
                format!(
                    "1:13: unknown SLO format (apiVersion \"openslo/v2alpha\", kind \"SLO\"): \
                     {supported}"
                ),
            ),
        ];
        for (file, expected) in cases {
            let path = format!("tests/configs/invalid/slo/{file}");
            let got = load_file(Path::new(&path))
                .map(|_| ())
                .map_err(|e| join(&e));
            assert_eq!(got, Err(format!("{path}:{expected}")), "{file}");
        }
    }

    fn sloth_with(objective: &str, sli: &str) -> String {
        format!(
            "version: \"prometheus/v1\"\nservice: api\nslos:\n  - name: avail\n    objective: \
             {objective}\n    sli:\n{sli}"
        )
    }

    #[test]
    fn semantic_errors_name_the_slo_and_the_problem() {
        let events = "      events:\n        error_query: sum(rate(e[5m]))\n        \
                      total_query: sum(rate(t[{{.window}}]))\n";
        assert_eq!(
            parse(&sloth_with("99.9", events)),
            Err(
                "t.yaml:8:22: SLO \"avail\": error_query has no {{.window}} placeholder \
                 (Sloth puts each alert window there)"
                    .into()
            )
        );
        assert_eq!(
            parse(&sloth_with("0", events)),
            Err(
                "t.yaml:5:16: SLO \"avail\": objective 0 is out of range: a percent above 0 \
                 and below 100, like 99.9"
                    .into()
            )
        );
        assert_eq!(
            parse(&sloth_with("99", "      {}\n")),
            Err(
                "t.yaml:7:7: SLO \"avail\": sli needs events (error_query and total_query) or \
                 raw (error_ratio_query)"
                    .into()
            )
        );
        let bad_target = OPENSLO_TWO.replace("target: 0.99}", "target: 99}");
        assert_eq!(
            parse(&bad_target),
            Err(
                "t.yaml:47:25: SLO \"api-latency\": target 99 is out of range: a ratio above 0 \
                 and below 1, like 0.999"
                    .into()
            )
        );
        let not_selector = OPENSLO_TWO.replace(
            "query: http_requests_total\n",
            "query: sum by (code) (http_requests_total)\n",
        );
        assert_eq!(
            parse(&not_selector),
            Err(
                "t.yaml:21:22: SLO \"api-availability\": total: query \"sum by (code) \
                 (http_requests_total)\" is not a counter selector: write `metric{labels}` (or \
                 sum(metric{labels})); opsdeck adds the rate and the window"
                    .into()
            )
        );
    }

    #[test]
    fn unknown_and_missing_formats_list_the_supported_ones() {
        let v2 = parse("version: \"prometheus/v2\"\nservice: x\n").expect_err("v2");
        assert!(
            v2.starts_with(
                "t.yaml:1:10: unknown SLO format (version \"prometheus/v2\"): supported are Sloth"
            ),
            "{v2}"
        );
        let none = parse("# an SLO\nservice: x\n").expect_err("none");
        assert!(
            none.starts_with(
                "t.yaml:2:1: not an SLO file (no version or apiVersion): supported are"
            ),
            "{none}"
        );
        let kind = parse("apiVersion: pyrra.dev/v1alpha1\nkind: Foo\n").expect_err("kind");
        assert!(
            kind.starts_with(
                "t.yaml:2:7: unknown SLO format (apiVersion \"pyrra.dev/v1alpha1\", kind \"Foo\")"
            ),
            "{kind}"
        );
    }

    #[test]
    fn unsupported_indicators_are_refused_by_name() {
        let latency_native = "apiVersion: pyrra.dev/v1alpha1\nkind: ServiceLevelObjective\n\
                              metadata: {name: lat}\nspec:\n  target: '99'\n  window: 2w\n  \
                              indicator:\n    latencyNative:\n      latency: 1s\n      total:\n        \
                              metric: m\n";
        assert_eq!(
            parse(latency_native),
            Err(
                "t.yaml:8:5: SLO \"lat\": latencyNative indicators are not supported: use ratio \
                 or latency"
                    .into()
            )
        );
        let gauge = OPENSLO_TWO.replacen("counter: true", "counter: false", 1);
        assert_eq!(
            parse(&gauge),
            Err(
                "t.yaml:11:18: SLO \"api-availability\": counter: false (gauge ratios) is not \
                 supported: opsdeck windows counters with rate()"
                    .into()
            )
        );
    }

    #[test]
    fn load_paths_reads_directories_and_finds_duplicates() {
        let slos = load_paths(&["examples/slos".into()]).expect("examples load");
        let names: Vec<String> = slos.iter().map(Slo::key).collect();
        assert_eq!(
            names,
            vec![
                "api/api-availability",
                "api/api-latency",
                "pipeline/pipeline-success",
                "publisher/publish-success"
            ]
        );
        let twice = load_paths(&["examples/slos".into(), "examples/slos/pipeline.yaml".into()]);
        assert_eq!(
            twice.map(|_| ()).map_err(|e| join(&e)),
            Err(
                "examples/slos/pipeline.yaml:5:1: duplicate SLO \"pipeline/pipeline-success\": \
                 first defined at examples/slos/pipeline.yaml:5"
                    .into()
            )
        );
        let missing = load_paths(&["examples/slos/nope.yaml".into()]).map_err(|e| join(&e));
        assert!(matches!(missing, Err(m) if m.starts_with("examples/slos/nope.yaml:0:0: ")));
    }
}
