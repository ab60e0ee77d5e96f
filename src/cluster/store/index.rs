//! A store's keys to slots, in shards. One map of 500,000 keys doubles at 458,752 and rehashes
//! every key in that one insert (~300 ms measured with ten clusters listing): a keystroke during
//! the sync waited for it. Sharded 64 ways, each doubling moves ~1/64 of the keys.

use std::collections::HashMap;

const SHARDS: usize = 64;

#[derive(Debug)]
pub struct Index {
    shards: Vec<HashMap<String, usize>>,
    len: usize,
}

impl Default for Index {
    fn default() -> Self {
        Index {
            shards: (0..SHARDS).map(|_| HashMap::new()).collect(),
            len: 0,
        }
    }
}

/// FNV-1a: cheap, and spreads names that differ only in a generated suffix.
fn shard_of(key: &str) -> usize {
    let mut h: u32 = 0x811c_9dc5;
    for b in key.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h as usize % SHARDS
}

impl Index {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn get(&self, key: &str) -> Option<usize> {
        self.shards[shard_of(key)].get(key).copied()
    }

    pub fn insert(&mut self, key: String, slot: usize) {
        if self.shards[shard_of(&key)].insert(key, slot).is_none() {
            self.len += 1;
        }
    }

    pub fn remove(&mut self, key: &str) -> Option<usize> {
        let slot = self.shards[shard_of(key)].remove(key)?;
        self.len -= 1;
        Some(slot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_map_to_their_slots_and_the_count_follows() {
        let mut index = Index::default();
        for i in 0..10_000 {
            index.insert(format!("contentgen/article-generator-{i:05}"), i);
        }
        index.insert("contentgen/article-generator-00007".into(), 70);
        assert_eq!(
            index.len(),
            10_000,
            "a key inserted again is not counted twice"
        );
        assert_eq!(index.get("contentgen/article-generator-00007"), Some(70));
        assert_eq!(index.get("contentgen/article-generator-09999"), Some(9999));
        assert_eq!(index.remove("contentgen/article-generator-00042"), Some(42));
        assert_eq!(index.remove("contentgen/article-generator-00042"), None);
        assert_eq!(index.get("contentgen/article-generator-00042"), None);
        assert_eq!(index.len(), 9_999);
        // Every shard takes a share: no shard holds more than twice its part.
        let most = index.shards.iter().map(HashMap::len).max().unwrap();
        assert!(most < 2 * 10_000 / SHARDS, "{most} keys in one shard");
    }
}
