//! A kube context's name as rows, messages and targets carry it: shared (one allocation per
//! context, whatever the row count), compared and ordered by its text.

use std::fmt;
use std::sync::Arc;

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContextName(Arc<str>);

impl ContextName {
    pub fn new(name: &str) -> Self {
        ContextName(Arc::from(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ContextName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for ContextName {
    fn from(s: &str) -> Self {
        ContextName::new(s)
    }
}

impl From<String> for ContextName {
    fn from(s: String) -> Self {
        ContextName(Arc::from(s))
    }
}

impl std::ops::Deref for ContextName {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl serde::Serialize for ContextName {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for ContextName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(ContextName::from)
    }
}

/// The key of a workload across contexts ("ctx/namespace/name"): what the figures derived per
/// workload are kept under.
pub fn workload_key(context: &str, namespace: &str, name: &str) -> String {
    format!("{context}/{namespace}/{name}")
}
