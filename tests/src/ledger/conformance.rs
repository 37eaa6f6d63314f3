//! The `conformance!` macro: one test body, one `#[tokio::test]` per ledger kind.

/// Instantiates conformance tests for every ledger kind: Redis, Redis
/// Cluster, embedded.
///
/// `conformance! { windows::window_admits_exactly_the_limit, ... }` expects
/// `async fn window_admits_exactly_the_limit(s: Suite)` in module `windows`
/// and generates `redis::window_admits_exactly_the_limit`,
/// `cluster::window_admits_exactly_the_limit` and
/// `embedded::window_admits_exactly_the_limit`.
#[macro_export]
macro_rules! conformance {
    ($($module:ident :: $test:ident),* $(,)?) => {
        $crate::conformance!(@kind redis, Redis, $($module::$test),*);
        $crate::conformance!(@kind cluster, Cluster, $($module::$test),*);
        $crate::conformance!(@kind embedded, Embedded, $($module::$test),*);
    };
    (@kind $name:ident, $kind:ident, $($module:ident :: $test:ident),*) => {
        #[doc = concat!("The conformance suite against the ", stringify!($kind), " ledger.")]
        mod $name {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $test() {
                    let suite = $crate::ledger::Suite {
                        kind: $crate::ledger::Kind::$kind,
                        name: stringify!($test),
                    };
                    super::$module::$test(suite).await;
                }
            )*
        }
    };
}
