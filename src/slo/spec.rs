//! SLO files as teams write them — Sloth (`prometheus/v1` and its `PrometheusServiceLevel` CRD),
//! OpenSLO v1 and Pyrra — read into one [`Slo`] type, with every error naming file:line:col, the
//! SLO and what is wrong.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_saphyr::{Location, Spanned};

use super::duration::{format_duration, parse_duration};
use crate::config::ConfigError;

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

/// A PromQL query with a hole for the window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Template {
    /// Sloth style: the query holds `{{.window}}` where the range goes.
    Placeholder(String),
    /// A plain counter selector (Pyrra, OpenSLO `counter: true`), rendered as
    /// `sum(rate(<selector>[<window>]))`. Pyrra itself writes `increase`; for a ratio of two
    /// counters over the same window the two are equal (increase = rate * window on both sides),
    /// and `rate` keeps each side readable as "per second" when shown alone.
    Counter(String),
}

const WINDOW: &str = "{{.window}}";

impl Template {
    pub fn render(&self, window: Duration) -> String {
        let w = format_duration(window);
        match self {
            Template::Placeholder(q) => q.replace(WINDOW, &w),
            Template::Counter(sel) => format!("sum(rate({sel}[{w}]))"),
        }
    }

    /// A Sloth query: Go template spellings of the window (`{{ .window }}`) made canonical.
    fn placeholder(query: &str) -> Option<Template> {
        let mut out = String::new();
        let mut rest = query;
        let mut found = false;
        while let Some(start) = rest.find("{{") {
            let Some(end) = rest[start..].find("}}") else {
                break;
            };
            let inner = rest[start + 2..start + end].trim();
            out.push_str(&rest[..start]);
            if inner == ".window" {
                out.push_str(WINDOW);
                found = true;
            } else {
                out.push_str(&rest[start..start + end + 2]);
            }
            rest = &rest[start + end + 2..];
        }
        out.push_str(rest);
        found.then_some(Template::Placeholder(out.trim().to_string()))
    }
}

/// `metric{labels}` or `{labels}`, nothing around it: the only shape that can be wrapped in
/// `rate(...[w])` without parsing PromQL.
fn is_selector(query: &str) -> bool {
    let q = query.trim();
    let name_len = q
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
        .unwrap_or(q.len());
    if q.starts_with(|c: char| c.is_ascii_digit()) {
        return false;
    }
    let rest = &q[name_len..];
    if rest.is_empty() {
        return name_len > 0;
    }
    rest.starts_with('{') && closing_brace(rest) == Some(rest.len() - 1)
}

/// Byte index of the `}` closing the `{` at 0, skipping quoted label values.
fn closing_brace(text: &str) -> Option<usize> {
    let mut quote = None;
    let mut escaped = false;
    for (i, c) in text.char_indices().skip(1) {
        match (quote, c) {
            (Some(_), _) if escaped => escaped = false,
            (Some(_), '\\') => escaped = true,
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'' | '`') => quote = Some(c),
            (None, '}') => return Some(i),
            (None, '{') => return None,
            (None, _) => {}
        }
    }
    None
}

/// An OpenSLO counter query as a template: a selector, or `sum(<selector>)` (the form in the
/// OpenSLO examples, whose aggregation is redone around the rate), or a query that already
/// carries `{{.window}}`.
fn counter_template(query: &str) -> Option<Template> {
    let q = query.trim();
    if let Some(t) = Template::placeholder(q) {
        return Some(t);
    }
    if is_selector(q) {
        return Some(Template::Counter(q.to_string()));
    }
    let inner = q.strip_prefix("sum")?.trim_start();
    let inner = inner.strip_prefix('(')?.strip_suffix(')')?;
    is_selector(inner).then(|| Template::Counter(inner.trim().to_string()))
}

const SUPPORTED: &str = "supported are Sloth (version: \"prometheus/v1\"), OpenSLO (apiVersion: \
                         openslo/v1, kind: SLO) and Pyrra (apiVersion: pyrra.dev/v1alpha1, kind: \
                         ServiceLevelObjective)";

/// Sloth has no period in its spec; its default is 30 days.
const SLOTH_PERIOD: Duration = Duration::from_secs(30 * 86_400);

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
    OpenSloSli(String, Box<OsloSliSpec>),
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
            Ok(Parsed::OpenSloSli(name, spec)) => {
                slis.insert(name, *spec);
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
        ("openslo/v1", Some("SLI")) => one(doc
            .parse::<OsloSliDoc>(doc.text)
            .map(|s| Parsed::OpenSloSli(s.metadata.name.value, Box::new(s.spec.value)))),
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

/// OpenSLO kinds that carry no SLO of their own.
const OPENSLO_SKIPPED: [&str; 5] = [
    "Service",
    "DataSource",
    "AlertPolicy",
    "AlertCondition",
    "AlertNotificationTarget",
];

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

// ---------------------------------------------------------------- Sloth

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SlothSpec {
    #[serde(default)]
    #[allow(dead_code)]
    version: Option<IgnoredAny>,
    service: String,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    slos: Vec<SlothSlo>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SlothSlo {
    name: Spanned<String>,
    objective: Spanned<f64>,
    description: Option<String>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    sli: Spanned<SlothSli>,
    #[allow(dead_code)]
    alerting: Option<SlothAlerting>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SlothSli {
    events: Option<SlothEvents>,
    raw: Option<SlothRaw>,
    plugin: Option<Spanned<IgnoredAny>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SlothEvents {
    error_query: Option<Spanned<String>>,
    total_query: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SlothRaw {
    error_ratio_query: Option<Spanned<String>>,
}

/// Parsed only so misspelt keys are caught; opsdeck computes its own alert state.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct SlothAlerting {
    name: Option<String>,
    labels: Option<IgnoredAny>,
    annotations: Option<IgnoredAny>,
    page_alert: Option<IgnoredAny>,
    ticket_alert: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct SlothCrd {
    spec: SlothSpec,
}

fn sloth_file(doc: &Doc) -> Result<Vec<Slo>, Vec<SloFileError>> {
    let spec: SlothSpec = doc.parse(doc.text).map_err(|e| vec![e])?;
    sloth_slos(doc, spec)
}

fn sloth_crd(doc: &Doc) -> Result<Vec<Slo>, Vec<SloFileError>> {
    let crd: SlothCrd = doc.parse(doc.text).map_err(|e| vec![e])?;
    sloth_slos(doc, crd.spec)
}

fn sloth_slos(doc: &Doc, spec: SlothSpec) -> Result<Vec<Slo>, Vec<SloFileError>> {
    let (slos, errors): (Vec<_>, Vec<_>) = spec
        .slos
        .into_iter()
        .map(|s| sloth_slo(doc, &spec.service, &spec.labels, s))
        .partition(Result::is_ok);
    if errors.is_empty() {
        Ok(slos.into_iter().flatten().collect())
    } else {
        Err(errors.into_iter().filter_map(Result::err).collect())
    }
}

fn sloth_slo(
    doc: &Doc,
    service: &str,
    labels: &BTreeMap<String, String>,
    s: SlothSlo,
) -> Result<Slo, SloFileError> {
    let name = s.name.value.as_str();
    let objective = percent_objective(
        doc,
        name,
        "objective",
        s.objective.value,
        s.objective.referenced,
    )?;
    let sli = sloth_sli(doc, name, &s.sli)?;
    let mut all_labels = labels.clone();
    all_labels.extend(s.labels);
    Ok(Slo {
        name: name.to_string(),
        service: service.to_string(),
        description: s.description,
        source: doc.source(&s.name, SloFormat::Sloth),
        objective,
        period: SLOTH_PERIOD,
        sli,
        labels: all_labels,
        sloth_id: Some(format!("{service}-{name}")),
        grouping: vec![],
    })
}

fn sloth_sli(doc: &Doc, name: &str, sli: &Spanned<SlothSli>) -> Result<Sli, SloFileError> {
    let window_query = |parent: &str, key: &str, q: &Option<Spanned<String>>| {
        let Some(q) = q else {
            let what = format!("sli.{parent} needs {key}");
            return Err(slo_error(doc, name, sli.referenced, what));
        };
        let what = if q.value.trim().is_empty() {
            format!("{key} is empty")
        } else {
            format!("{key} has no {{{{.window}}}} placeholder (Sloth puts each alert window there)")
        };
        Template::placeholder(&q.value).ok_or_else(|| slo_error(doc, name, q.referenced, what))
    };
    match &sli.value {
        SlothSli {
            plugin: Some(p), ..
        } => Err(key_error(
            doc,
            name,
            p.referenced,
            "plugin",
            "SLI plugins (sli.plugin) are not supported: write the queries as sli.events or sli.raw",
        )),
        SlothSli {
            events: Some(e),
            raw: None,
            ..
        } => Ok(Sli::Events {
            error_query: window_query("events", "error_query", &e.error_query)?,
            total_query: window_query("events", "total_query", &e.total_query)?,
        }),
        SlothSli {
            events: None,
            raw: Some(r),
            ..
        } => Ok(Sli::ErrorRatio {
            query: window_query("raw", "error_ratio_query", &r.error_ratio_query)?,
        }),
        SlothSli {
            events: Some(_),
            raw: Some(_),
            ..
        } => Err(slo_error(
            doc,
            name,
            sli.referenced,
            "sli has both events and raw: keep one",
        )),
        SlothSli { .. } => Err(slo_error(
            doc,
            name,
            sli.referenced,
            "sli needs events (error_query and total_query) or raw (error_ratio_query)",
        )),
    }
}

// ---------------------------------------------------------------- OpenSLO

#[derive(Deserialize)]
struct OsloMeta {
    name: Spanned<String>,
}

#[derive(Deserialize)]
struct OsloSloDoc {
    metadata: OsloMeta,
    spec: Spanned<OsloSloSpec>,
}

#[derive(Deserialize)]
struct OsloSloSpec {
    description: Option<String>,
    service: String,
    indicator: Option<OsloIndicator>,
    #[serde(rename = "indicatorRef")]
    indicator_ref: Option<Spanned<String>>,
    #[serde(rename = "timeWindow")]
    time_window: Spanned<Vec<OsloTimeWindow>>,
    #[serde(rename = "budgetingMethod")]
    budgeting_method: Option<Spanned<String>>,
    objectives: Spanned<Vec<OsloObjective>>,
}

#[derive(Deserialize)]
struct OsloIndicator {
    spec: Spanned<OsloSliSpec>,
}

#[derive(Deserialize)]
struct OsloSliDoc {
    metadata: OsloMeta,
    spec: Spanned<OsloSliSpec>,
}

#[derive(Deserialize)]
struct OsloSliSpec {
    #[serde(rename = "ratioMetric")]
    ratio_metric: Option<Spanned<OsloRatio>>,
    #[serde(rename = "thresholdMetric")]
    threshold_metric: Option<Spanned<IgnoredAny>>,
}

#[derive(Deserialize)]
struct OsloRatio {
    counter: Option<Spanned<bool>>,
    good: Option<OsloMetric>,
    bad: Option<OsloMetric>,
    total: Option<OsloMetric>,
    raw: Option<Spanned<IgnoredAny>>,
}

#[derive(Deserialize)]
struct OsloMetric {
    #[serde(rename = "metricSource")]
    metric_source: Spanned<OsloSource>,
}

#[derive(Deserialize)]
struct OsloSource {
    #[serde(rename = "type")]
    kind: Option<Spanned<String>>,
    spec: Option<OsloSourceSpec>,
}

#[derive(Deserialize)]
struct OsloSourceSpec {
    query: Option<Spanned<String>>,
}

#[derive(Deserialize)]
struct OsloTimeWindow {
    duration: Spanned<String>,
    #[serde(rename = "isRolling")]
    is_rolling: Option<Spanned<bool>>,
}

#[derive(Deserialize)]
struct OsloObjective {
    target: Option<Spanned<f64>>,
    #[serde(rename = "targetPercent")]
    target_percent: Option<Spanned<f64>>,
}

fn openslo_slo(
    doc: &Doc,
    d: OsloSloDoc,
    slis: &BTreeMap<String, OsloSliSpec>,
) -> Result<Slo, SloFileError> {
    let name = d.metadata.name.value.as_str();
    let spec = &d.spec.value;
    // A missing budgetingMethod reads as Occurrences, the only method the ratio math fits.
    if let Some(m) = spec
        .budgeting_method
        .as_ref()
        .filter(|m| m.value != "Occurrences")
    {
        let what = format!(
            "budgetingMethod {} is not supported (only Occurrences)",
            m.value
        );
        return Err(slo_error(doc, name, m.referenced, what));
    }
    let objective = openslo_objective(doc, name, &spec.objectives)?;
    let period = openslo_period(doc, name, &spec.time_window)?;
    let sli_spec = match (&spec.indicator, &spec.indicator_ref) {
        (Some(i), _) => &i.spec,
        (None, Some(r)) => match slis.get(&r.value) {
            Some(s) => {
                return openslo_finish(
                    doc,
                    &d,
                    objective,
                    period,
                    openslo_sli(doc, name, s, r.referenced)?,
                );
            }
            None => {
                let what = format!("indicatorRef {:?} names no SLI in this file", r.value);
                return Err(slo_error(doc, name, r.referenced, what));
            }
        },
        (None, None) => {
            return Err(slo_error(
                doc,
                name,
                d.spec.referenced,
                "needs an indicator or an indicatorRef",
            ));
        }
    };
    let sli = openslo_sli(doc, name, &sli_spec.value, sli_spec.referenced)?;
    openslo_finish(doc, &d, objective, period, sli)
}

fn openslo_finish(
    doc: &Doc,
    d: &OsloSloDoc,
    objective: f64,
    period: Duration,
    sli: Sli,
) -> Result<Slo, SloFileError> {
    Ok(Slo {
        name: d.metadata.name.value.clone(),
        service: d.spec.value.service.clone(),
        description: d.spec.value.description.clone(),
        source: doc.source(&d.metadata.name, SloFormat::OpenSlo),
        objective,
        period,
        sli,
        labels: BTreeMap::new(),
        sloth_id: None,
        grouping: vec![],
    })
}

/// The first objective's `target` (a ratio) or `targetPercent`.
fn openslo_objective(
    doc: &Doc,
    name: &str,
    objectives: &Spanned<Vec<OsloObjective>>,
) -> Result<f64, SloFileError> {
    let missing = || {
        slo_error(
            doc,
            name,
            objectives.referenced,
            "objectives[0] needs a target (like 0.999) or a targetPercent (like 99.9)",
        )
    };
    let first = objectives.value.first().ok_or_else(missing)?;
    match (&first.target, &first.target_percent) {
        (Some(t), _) if t.value > 0.0 && t.value < 1.0 => Ok(t.value),
        (Some(t), _) => {
            let what = format!(
                "target {} is out of range: a ratio above 0 and below 1, like 0.999",
                t.value
            );
            Err(slo_error(doc, name, t.referenced, what))
        }
        (None, Some(p)) => percent_objective(doc, name, "targetPercent", p.value, p.referenced),
        (None, None) => Err(missing()),
    }
}

fn openslo_period(
    doc: &Doc,
    name: &str,
    windows: &Spanned<Vec<OsloTimeWindow>>,
) -> Result<Duration, SloFileError> {
    let Some(w) = windows.value.first() else {
        return Err(slo_error(
            doc,
            name,
            windows.referenced,
            "timeWindow needs one entry with a duration, like 30d",
        ));
    };
    if let Some(r) = w.is_rolling.as_ref().filter(|r| !r.value) {
        return Err(slo_error(
            doc,
            name,
            r.referenced,
            "calendar-aligned time windows (isRolling: false) are not supported: use a rolling window",
        ));
    }
    period(doc, name, "timeWindow duration", &w.duration)
}

fn openslo_sli(
    doc: &Doc,
    name: &str,
    spec: &OsloSliSpec,
    at: Location,
) -> Result<Sli, SloFileError> {
    if let Some(t) = &spec.threshold_metric {
        return Err(key_error(
            doc,
            name,
            t.referenced,
            "thresholdMetric",
            "thresholdMetric indicators are not supported: use a ratioMetric",
        ));
    }
    let Some(ratio) = &spec.ratio_metric else {
        return Err(slo_error(doc, name, at, "indicator needs a ratioMetric"));
    };
    let r = &ratio.value;
    if let Some(raw) = &r.raw {
        return Err(key_error(
            doc,
            name,
            raw.referenced,
            "raw",
            "raw ratio metrics are not supported: give good or bad, and total",
        ));
    }
    if let Some(c) = r.counter.as_ref().filter(|c| !c.value) {
        return Err(slo_error(
            doc,
            name,
            c.referenced,
            "counter: false (gauge ratios) is not supported: opsdeck windows counters with rate()",
        ));
    }
    let Some(total) = &r.total else {
        return Err(slo_error(
            doc,
            name,
            ratio.referenced,
            "ratioMetric needs total",
        ));
    };
    let total_query = openslo_query(doc, name, "total", total)?;
    match (&r.good, &r.bad) {
        (Some(g), None) => Ok(Sli::Good {
            good_query: openslo_query(doc, name, "good", g)?,
            total_query,
        }),
        (None, Some(b)) => Ok(Sli::Events {
            error_query: openslo_query(doc, name, "bad", b)?,
            total_query,
        }),
        (Some(_), Some(_)) => Err(slo_error(
            doc,
            name,
            ratio.referenced,
            "ratioMetric has both good and bad: keep one",
        )),
        (None, None) => Err(slo_error(
            doc,
            name,
            ratio.referenced,
            "ratioMetric needs good or bad",
        )),
    }
}

fn openslo_query(
    doc: &Doc,
    name: &str,
    key: &str,
    m: &OsloMetric,
) -> Result<Template, SloFileError> {
    let src = &m.metric_source;
    if let Some(k) = src
        .value
        .kind
        .as_ref()
        .filter(|k| !k.value.eq_ignore_ascii_case("prometheus"))
    {
        let what = format!(
            "{key}: metric source type {} is not supported (only Prometheus)",
            k.value
        );
        return Err(slo_error(doc, name, k.referenced, what));
    }
    let Some(q) = src.value.spec.as_ref().and_then(|s| s.query.as_ref()) else {
        let what = format!("{key}: metricSource needs spec.query");
        return Err(slo_error(doc, name, src.referenced, what));
    };
    counter_template(&q.value).ok_or_else(|| {
        let what = format!(
            "{key}: query {:?} is not a counter selector: write `metric{{labels}}` (or \
             sum(metric{{labels}})); opsdeck adds the rate and the window",
            q.value
        );
        slo_error(doc, name, q.referenced, what)
    })
}

// ---------------------------------------------------------------- Pyrra

#[derive(Deserialize)]
struct PyrraDoc {
    metadata: PyrraMeta,
    spec: PyrraSpec,
}

#[derive(Deserialize)]
struct PyrraMeta {
    name: Spanned<String>,
    namespace: Option<String>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct PyrraSpec {
    description: Option<String>,
    target: Spanned<String>,
    window: Spanned<String>,
    indicator: Spanned<PyrraIndicator>,
}

#[derive(Deserialize)]
struct PyrraIndicator {
    ratio: Option<PyrraRatio>,
    latency: Option<PyrraLatency>,
    #[serde(rename = "latencyNative")]
    latency_native: Option<Spanned<IgnoredAny>>,
    bool_gauge: Option<Spanned<IgnoredAny>>,
}

#[derive(Deserialize)]
struct PyrraRatio {
    errors: PyrraMetric,
    total: PyrraMetric,
    #[serde(default)]
    grouping: Vec<String>,
}

#[derive(Deserialize)]
struct PyrraLatency {
    success: PyrraMetric,
    total: PyrraMetric,
    #[serde(default)]
    grouping: Vec<String>,
}

#[derive(Deserialize)]
struct PyrraMetric {
    metric: Spanned<String>,
}

/// Pyrra has no service field: the `service` label, else the namespace, else the SLO's name.
fn pyrra(doc: &Doc) -> Result<Slo, SloFileError> {
    let d: PyrraDoc = doc.parse(doc.text)?;
    let name = d.metadata.name.value.as_str();
    let target = &d.spec.target;
    let percent = target.value.trim().parse::<f64>().map_err(|_| {
        let what = format!("target {:?} is not a percent (like '99.9')", target.value);
        slo_error(doc, name, target.referenced, what)
    })?;
    let objective = percent_objective(doc, name, "target", percent, target.referenced)?;
    let period = period(doc, name, "window", &d.spec.window)?;
    let (sli, grouping) = pyrra_sli(doc, name, &d.spec.indicator)?;
    let service = d
        .metadata
        .labels
        .get("service")
        .or(d.metadata.namespace.as_ref())
        .map_or_else(|| name.to_string(), Clone::clone);
    Ok(Slo {
        name: name.to_string(),
        service,
        description: d.spec.description,
        source: doc.source(&d.metadata.name, SloFormat::Pyrra),
        objective,
        period,
        sli,
        labels: d.metadata.labels,
        sloth_id: None,
        grouping,
    })
}

fn pyrra_sli(
    doc: &Doc,
    name: &str,
    ind: &Spanned<PyrraIndicator>,
) -> Result<(Sli, Vec<String>), SloFileError> {
    let selector = |key: &str, m: &PyrraMetric| {
        let q = m.metric.value.trim();
        if is_selector(q) {
            Ok(Template::Counter(q.to_string()))
        } else {
            let what = format!("{key}.metric {q:?} is not a selector (like metric{{label=\"x\"}})");
            Err(slo_error(doc, name, m.metric.referenced, what))
        }
    };
    let i = &ind.value;
    if let Some(r) = &i.ratio {
        let sli = Sli::Events {
            error_query: selector("errors", &r.errors)?,
            total_query: selector("total", &r.total)?,
        };
        return Ok((sli, r.grouping.clone()));
    }
    if let Some(l) = &i.latency {
        let sli = Sli::Good {
            good_query: selector("success", &l.success)?,
            total_query: selector("total", &l.total)?,
        };
        return Ok((sli, l.grouping.clone()));
    }
    let (at, key, what) = match (&i.latency_native, &i.bool_gauge) {
        (Some(n), _) => (
            n.referenced,
            "latencyNative",
            "latencyNative indicators are not supported: use ratio or latency",
        ),
        (None, Some(b)) => (
            b.referenced,
            "bool_gauge",
            "bool_gauge indicators are not supported: use ratio or latency",
        ),
        (None, None) => (
            ind.referenced,
            "indicator",
            "indicator needs ratio (errors and total) or latency (success and total)",
        ),
    };
    Err(key_error(doc, name, at, key, what))
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
    use super::*;

    const DAY: u64 = 86_400;

    fn parse(text: &str) -> Result<Vec<Slo>, String> {
        parse_file(text, Path::new("t.yaml")).map_err(|e| join(&e))
    }

    fn join(errors: &[SloFileError]) -> String {
        errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn one(text: &str) -> Slo {
        let mut slos = parse(text).expect("parses");
        assert_eq!(slos.len(), 1);
        slos.remove(0)
    }

    fn load(path: &str) -> Vec<Slo> {
        load_file(Path::new(path)).expect("example parses")
    }

    #[test]
    fn sloth_example_parses() {
        let slos = load("examples/slos/api.yaml");
        let labels: BTreeMap<String, String> = [("namespace", "contentgen"), ("owner", "platform")]
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .into();
        let expected = Slo {
            name: "api-availability".into(),
            service: "api".into(),
            description: Some("99.9% of API requests are not 5xx, over 30 days.".into()),
            source: SloSource {
                file: "examples/slos/api.yaml".into(),
                line: 8,
                format: SloFormat::Sloth,
            },
            objective: 0.999,
            period: Duration::from_secs(30 * DAY),
            sli: Sli::Events {
                error_query: Template::Placeholder(
                    r#"sum(rate(http_requests_total{service="api",code=~"5.."}[{{.window}}]))"#
                        .into(),
                ),
                total_query: Template::Placeholder(
                    r#"sum(rate(http_requests_total{service="api"}[{{.window}}]))"#.into(),
                ),
            },
            labels,
            sloth_id: Some("api-api-availability".into()),
            grouping: vec![],
        };
        assert_eq!(slos[0], expected);
        assert_eq!(slos[1].name, "api-latency");
        assert_eq!(slos[1].objective, 0.99);
        assert_eq!(
            slos[1].sli.error_ratio_query(Duration::from_secs(300)),
            "(sum(rate(http_request_duration_seconds_bucket{service=\"api\",le=\"+Inf\"}[5m]))\n-\n\
             sum(rate(http_request_duration_seconds_bucket{service=\"api\",le=\"1\"}[5m])))\n/\n\
             (sum(rate(http_request_duration_seconds_bucket{service=\"api\",le=\"+Inf\"}[5m])))"
        );
    }

    #[test]
    fn sloth_raw_crd_and_spaced_placeholder() {
        let slo = one(r#"
apiVersion: sloth.slok.dev/v1
kind: PrometheusServiceLevel
metadata: {name: api}
spec:
  service: api
  slos:
    - name: availability
      objective: 99.5
      sli:
        raw:
          error_ratio_query: sum(rate(e[{{ .window }}])) / sum(rate(t[{{.window}}]))
"#);
        assert_eq!(slo.objective, 0.995);
        assert_eq!(slo.sloth_id.as_deref(), Some("api-availability"));
        assert_eq!(
            slo.sli.error_ratio_query(Duration::from_secs(3600)),
            "sum(rate(e[1h])) / sum(rate(t[1h]))"
        );
    }

    #[test]
    fn pyrra_example_parses() {
        let slo = load("examples/slos/pipeline.yaml").remove(0);
        assert_eq!(
            (slo.name.as_str(), slo.service.as_str()),
            ("pipeline-success", "pipeline")
        );
        assert_eq!(slo.source.format, SloFormat::Pyrra);
        assert_eq!(slo.source.line, 5);
        assert_eq!(slo.objective, 0.99);
        assert_eq!(slo.period, Duration::from_secs(30 * DAY));
        assert_eq!(slo.grouping, vec!["stage"]);
        assert_eq!(
            slo.sli,
            Sli::Events {
                error_query: Template::Counter(r#"pipeline_runs_total{status="failure"}"#.into()),
                total_query: Template::Counter("pipeline_runs_total".into()),
            }
        );
        assert_eq!(
            slo.sli.error_ratio_query(Duration::from_secs(30 * DAY)),
            "(sum(rate(pipeline_runs_total{status=\"failure\"}[30d])))\n/\n\
             (sum(rate(pipeline_runs_total[30d])))"
        );
    }

    #[test]
    fn pyrra_latency_is_good_over_total() {
        let slo = one(r#"
apiVersion: pyrra.dev/v1alpha1
kind: ServiceLevelObjective
metadata:
  name: api-latency
  namespace: contentgen
spec:
  target: "99.5"
  window: 4w
  indicator:
    latency:
      success:
        metric: http_request_duration_seconds_bucket{service="api",le="1"}
      total:
        metric: http_request_duration_seconds_bucket{service="api",le="+Inf"}
"#);
        assert_eq!(slo.service, "contentgen");
        assert_eq!(slo.period, Duration::from_secs(28 * DAY));
        assert_eq!(
            slo.sli.error_ratio_query(Duration::from_secs(3600)),
            "1 - (\n(sum(rate(http_request_duration_seconds_bucket{service=\"api\",le=\"1\"}[1h])))\n/\n\
             (sum(rate(http_request_duration_seconds_bucket{service=\"api\",le=\"+Inf\"}[1h])))\n)"
        );
    }

    #[test]
    fn openslo_example_resolves_its_sli_across_documents() {
        let slo = load("examples/slos/publish.yaml").remove(0);
        assert_eq!(slo.name, "publish-success");
        assert_eq!(slo.service, "publisher");
        assert_eq!(slo.source.line, 32);
        assert_eq!(slo.source.format, SloFormat::OpenSlo);
        assert_eq!(slo.objective, 0.95);
        assert_eq!(slo.period, Duration::from_secs(7 * DAY));
        assert_eq!(
            slo.sli,
            Sli::Good {
                good_query: Template::Counter(
                    r#"pipeline_runs_total{stage="publish",status="success"}"#.into()
                ),
                total_query: Template::Counter(r#"pipeline_runs_total{stage="publish"}"#.into()),
            }
        );
    }

    const OPENSLO_TWO: &str = r#"apiVersion: openslo/v1
kind: SLO
metadata:
  name: api-availability
spec:
  service: api
  indicator:
    metadata: {name: api-errors}
    spec:
      ratioMetric:
        counter: true
        bad:
          metricSource:
            type: Prometheus
            spec:
              query: sum(http_requests_total{code=~"5.."})
        total:
          metricSource:
            type: Prometheus
            spec:
              query: http_requests_total
  timeWindow: [{duration: 30d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{displayName: avail, targetPercent: 99.9}]
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: api-latency
spec:
  service: api
  indicator:
    spec:
      ratioMetric:
        counter: true
        good:
          metricSource:
            type: Prometheus
            spec:
              query: sum(rate(http_request_duration_seconds_bucket{le="1"}[{{.window}}]))
        total:
          metricSource:
            type: Prometheus
            spec:
              query: sum(rate(http_request_duration_seconds_bucket{le="+Inf"}[{{.window}}]))
  timeWindow: [{duration: 1d12h}]
  objectives: [{target: 0.99}]
"#;

    #[test]
    fn openslo_several_slos_in_one_file() {
        let slos = parse(OPENSLO_TWO).expect("parses");
        assert_eq!(slos.len(), 2);
        assert_eq!(slos[0].objective, 0.999);
        assert_eq!((slos[0].source.line, slos[1].source.line), (4, 29));
        // `sum(selector)` is unwrapped and re-aggregated around the rate.
        assert_eq!(
            slos[0].sli,
            Sli::Events {
                error_query: Template::Counter(r#"http_requests_total{code=~"5.."}"#.into()),
                total_query: Template::Counter("http_requests_total".into()),
            }
        );
        assert_eq!(slos[1].period, Duration::from_secs(36 * 3600));
        assert_eq!(
            slos[1].sli.error_ratio_query(Duration::from_secs(300)),
            "1 - (\n(sum(rate(http_request_duration_seconds_bucket{le=\"1\"}[5m])))\n/\n\
             (sum(rate(http_request_duration_seconds_bucket{le=\"+Inf\"}[5m])))\n)"
        );
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

    #[test]
    fn selectors_are_told_from_expressions() {
        assert!(is_selector("up"));
        assert!(is_selector(
            r#"http_requests_total{code=~"5..",path="/a}b"}"#
        ));
        assert!(is_selector(r#"{__name__="x"}"#));
        assert!(!is_selector("rate(x[5m])"));
        assert!(!is_selector("x{a=\"b\"} / y"));
        assert!(!is_selector("1"));
        assert!(!is_selector(""));
    }
}
