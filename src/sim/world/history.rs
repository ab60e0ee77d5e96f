//! StatefulSet revision history, kept as the statefulset controller keeps it: one
//! ControllerRevision per distinct pod template, named `<sts>-<hash>`, numbered in the order
//! the templates were current; going back to an old template renumbers its revision to the top
//! instead of copying it. `kubectl rollout history/undo sts` read these.

use std::sync::Arc;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::PodTemplateSpec;

use super::World;
use super::model::{Key, Meta, OwnerRef};
use super::topology::template_hash;

/// The statefulset controller's default `spec.revisionHistoryLimit`.
pub const HISTORY_LIMIT: usize = 10;

/// One ControllerRevision: a StatefulSet's pod template at one revision. The template is
/// shared with the StatefulSet (and its pods) while it is the current one, so a revision costs
/// little more than its metadata.
#[derive(Clone, Debug)]
pub struct RevisionM {
    pub meta: Meta,
    pub owner: OwnerRef,
    pub revision: i64,
    pub template: Arc<PodTemplateSpec>,
}

/// `<sts>-<hash>`: the revision's name, also the pods' `controller-revision-hash` label.
pub fn revision_name(sts: &str, template: &PodTemplateSpec) -> String {
    format!("{sts}-{}", template_hash(template))
}

impl World {
    /// The revisions a StatefulSet owns, lowest revision number first.
    pub fn sts_revisions(&self, sts: &Key, uid: &str) -> Vec<Key> {
        let mut v: Vec<(i64, Key)> = self
            .revisions
            .range(Key::new(&sts.ns, String::new())..)
            .take_while(|(k, _)| k.ns == sts.ns)
            .filter(|(_, r)| r.owner.uid == uid)
            .map(|(k, r)| (r.revision, k.clone()))
            .collect();
        v.sort();
        v.into_iter().map(|(_, k)| k).collect()
    }

    /// Make `template` the StatefulSet's newest revision: reuse an equal revision (renumbered
    /// to the top when it is not already), else create the next one. The revision becomes the
    /// StatefulSet's update revision; its name is returned.
    pub(super) fn record_sts_revision(
        &mut self,
        sts: &Key,
        template: Arc<PodTemplateSpec>,
        created: Timestamp,
    ) -> Option<String> {
        let uid = self.statefulsets.get(sts)?.meta.uid.clone();
        let name = revision_name(&sts.name, &template);
        let owner = OwnerRef {
            kind: "StatefulSet",
            api_version: "apps/v1",
            name: sts.name.clone(),
            uid: uid.clone(),
        };
        let owned = self.sts_revisions(sts, &uid);
        let top = owned
            .last()
            .and_then(|k| self.revisions.get(k))
            .map_or(0, |r| r.revision);
        let key = Key::new(&sts.ns, name.clone());
        match self.revisions.get_mut(&key) {
            Some(r) if r.owner.uid == uid => {
                if r.revision < top {
                    r.revision = top + 1;
                    self.log.record(r, "MODIFIED");
                }
            }
            _ => {
                let mut labels = template
                    .metadata
                    .as_ref()
                    .and_then(|m| m.labels.clone())
                    .unwrap_or_default();
                // The label carries the hash alone; pods carry the whole name.
                let hash = name.rsplit('-').next().unwrap_or_default().to_string();
                labels.insert("controller-revision-hash".into(), hash);
                let mut meta = self.meta(&sts.ns, name.clone(), Arc::new(labels), created);
                if let Some(s) = self.statefulsets.get(sts) {
                    meta.annotations.clone_from(&s.meta.annotations);
                }
                let mut r = RevisionM {
                    meta,
                    owner,
                    revision: top + 1,
                    template,
                };
                self.log.record(&mut r, "ADDED");
                self.revisions.insert(key, r);
            }
        }
        if let Some(s) = self.statefulsets.get_mut(sts) {
            s.revision.clone_from(&name);
        }
        self.truncate_sts_history(sts, &uid);
        Some(name)
    }

    /// Delete the oldest revisions beyond the history limit, never one still in use.
    pub(super) fn truncate_sts_history(&mut self, sts: &Key, uid: &str) {
        let live: Vec<String> = self.statefulsets.get(sts).map_or_else(Vec::new, |s| {
            let mut live = vec![s.revision.clone(), s.current_revision.clone()];
            live.extend(s.pods.iter().filter_map(|p| {
                self.pods
                    .get(&Key::new(&sts.ns, p.clone()))
                    .and_then(|p| p.meta.labels.get("controller-revision-hash").cloned())
            }));
            live
        });
        let old: Vec<Key> = self
            .sts_revisions(sts, uid)
            .into_iter()
            .filter(|k| !live.contains(&k.name))
            .collect();
        for k in old.iter().take(old.len().saturating_sub(HISTORY_LIMIT)) {
            if let Some(mut r) = self.revisions.remove(k) {
                self.log.record(&mut r, "DELETED");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::clock::TEST_NOW;
    use crate::sim::world::Kind;
    use serde_json::json;

    fn postgres() -> Key {
        Key::new(&Arc::from("contentgen"), "postgres".to_string())
    }

    /// (revision, name, image) of postgres's revisions, in order.
    fn history(w: &World) -> Vec<(i64, String, String)> {
        let uid = w.statefulsets[&postgres()].meta.uid.clone();
        w.sts_revisions(&postgres(), &uid)
            .iter()
            .map(|k| {
                let r = &w.revisions[k];
                let image = r.template.spec.as_ref().unwrap().containers[0]
                    .image
                    .clone()
                    .unwrap();
                (r.revision, r.meta.name.clone(), image)
            })
            .collect()
    }

    fn set_image(w: &mut World, image: &str) {
        let mut s = w
            .object_json(Kind::StatefulSet, "contentgen", "postgres")
            .unwrap();
        s["spec"]["template"]["spec"]["containers"][0]["image"] = json!(image);
        w.apply_json(Kind::StatefulSet, "contentgen", "postgres", s, false)
            .unwrap();
    }

    #[test]
    fn a_statefulset_starts_with_its_past_revisions_and_the_current_one_last() {
        let w = World::new(None, None, TEST_NOW);
        let h = history(&w);
        assert_eq!(
            h.iter().map(|r| (r.0, r.2.as_str())).collect::<Vec<_>>(),
            vec![
                (1, "docker.io/library/postgres:16.2"),
                (2, "docker.io/library/postgres:16.3"),
                (3, "docker.io/library/postgres:16.4"),
            ]
        );
        let s = &w.statefulsets[&postgres()];
        assert_eq!(s.revision, h[2].1);
        assert_eq!(s.current_revision, h[2].1);
        let created: Vec<_> = w
            .sts_revisions(&postgres(), &s.meta.uid)
            .iter()
            .map(|k| w.revisions[k].meta.created)
            .collect();
        assert!(created.windows(2).all(|p| p[0] < p[1]), "{created:?}");
        let r = &w.revisions[&Key::new(&postgres().ns, h[2].1.clone())];
        assert_eq!(r.meta.labels["app"], "postgres");
        assert_eq!(
            format!("postgres-{}", r.meta.labels["controller-revision-hash"]),
            r.meta.name
        );
    }

    #[test]
    fn a_new_template_is_the_next_revision_and_an_old_one_is_renumbered() {
        let mut w = World::new(None, None, TEST_NOW);
        set_image(&mut w, "docker.io/library/postgres:16.5");
        let h = history(&w);
        assert_eq!(h.len(), 4);
        assert_eq!(
            (h[3].0, h[3].2.as_str()),
            (4, "docker.io/library/postgres:16.5")
        );
        assert_eq!(w.statefulsets[&postgres()].revision, h[3].1);

        // Back to 16.3: its revision moves to 5, nothing is copied.
        set_image(&mut w, "docker.io/library/postgres:16.3");
        let after = history(&w);
        assert_eq!(after.len(), 4);
        let last = after.last().unwrap();
        assert_eq!((last.0, last.1.as_str()), (5, h[1].1.as_str()));
        assert_eq!(
            after.iter().map(|r| r.0).collect::<Vec<_>>(),
            vec![1, 3, 4, 5]
        );
    }

    #[test]
    fn history_beyond_the_limit_drops_the_oldest_unused_revisions() {
        let mut w = World::new(None, None, TEST_NOW);
        // No pods, so no revision stays in use but the update revision.
        w.set_replicas(Kind::StatefulSet, "contentgen", "postgres", 0)
            .unwrap();
        for i in 0..12 {
            set_image(&mut w, &format!("docker.io/library/postgres:17.{i}"));
        }
        let h = history(&w);
        // Revisions 1..=15: the limit keeps ten unused ones (5..=14) besides the update one.
        assert_eq!(h.len(), HISTORY_LIMIT + 1, "{h:?}");
        assert_eq!(h.last().unwrap().2, "docker.io/library/postgres:17.11");
        assert_eq!(h.first().unwrap().0, 5);
        let s = &w.statefulsets[&postgres()];
        assert_eq!(s.current_revision, s.revision);
    }
}
