//! The sim's queues in a real Redis (`opsdeck sim --redis URL`): the world's Celery, RQ and
//! stream queues written and consumed in their libraries' wire formats, following the world's
//! arrival and drain rates, so opsdeck's Redis queue source and runbook conditions read them
//! exactly as they would production's.
//!
//! The sim owns these keys in that Redis: the Celery lists and `unacked`/`unacked_index`, RQ's
//! `rq:queue:publish`, its registries and worker sets, the `events:competitors` stream. It
//! resets them whenever it (re)connects, then refills the backlog from the world.

mod mirror;
pub mod wire;
mod writer;

pub use writer::spawn;
