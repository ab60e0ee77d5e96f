//! Bad input everywhere: every parser of files and wire answers, fed a few thousand damaged
//! samples and garbage each (`PROPTEST_CASES` to change it). None may panic; errors in files
//! name the file and a line; what reads back should, does. `scripts/fuzz.sh` runs the same
//! targets a million times each.

mod fuzz;

macro_rules! targets {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                fuzz::run(stringify!($name));
            }
        )*

        #[test]
        fn every_target_has_a_test() {
            let mut names: Vec<&str> = fuzz::all().iter().map(|t| t.name()).collect();
            names.sort_unstable();
            let mut tested = vec![$(stringify!($name)),*];
            tested.sort_unstable();
            assert_eq!(names, tested);
        }
    };
}

targets!(
    config,
    keymap,
    key,
    theme,
    runbook,
    slo,
    kubernetes,
    prometheus,
    opencost,
    rabbitmq,
    alertmanager,
    alert_matcher,
    health,
    celery,
    redis_queues,
);
