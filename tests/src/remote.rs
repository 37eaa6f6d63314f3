//! The gateway as its own service, for the frontend suites' remote mode:
//! the stack's real gateway behind the real frontend API
//! (`easel_gateway::http::app` on `127.0.0.1:0`), and a real
//! [`RemoteGateway`] talking to it. [`CutProxy`] sits between the two when
//! a test must drop the connection under a running job.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use easel_gateway::http::{AppState, app};
use easel_gateway::ledger::{Ledger, SharedConfig};
use easel_gateway::service::{Gateway, RemoteGateway};
use easel_shared::config::GatewayConfig;
use easel_shared::secret::Secret;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The frontend name and token the test deployments accept.
pub const FRONTEND: &str = "bots";
/// The frontend token (tests look for it in logs).
pub const FRONTEND_TOKEN: &str = "frontend-token-never-logged";

/// How a frontend suite reaches its gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The gateway in the bot's process (`Arc<InProcessGateway>`).
    Embedded,
    /// Over HTTP: the frontend API and a `RemoteGateway`.
    Remote,
}

impl Mode {
    /// The mode of a test binary by its crate name: `*_remote` binaries
    /// run their suite against a remote gateway. Call it as
    /// `Mode::of_binary(env!("CARGO_CRATE_NAME"))`.
    pub fn of_binary(crate_name: &str) -> Self {
        if crate_name.ends_with("_remote") {
            Mode::Remote
        } else {
            Mode::Embedded
        }
    }
}

/// A running frontend API over some gateway; stops when dropped.
pub struct FrontendApi {
    /// Where it listens.
    pub addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Drop for FrontendApi {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FrontendApi {
    /// Serves the frontend API of `gateway`, adding the test frontend's
    /// token to `config` (the live config the handlers read).
    pub async fn serve(
        gateway: Arc<dyn Gateway>,
        ledger: Arc<dyn Ledger>,
        config: &SharedConfig,
    ) -> Self {
        config.rcu(|c| {
            let mut c = easel_shared::config::Config::clone(c);
            c.gateway
                .frontends
                .insert(FRONTEND.into(), Secret::new(FRONTEND_TOKEN));
            c
        });
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let router = app(AppState {
            ledger,
            config: config.clone(),
            config_path: None,
            gateway: Some(gateway),
        });
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Self { addr, task }
    }

    /// The base URL a `RemoteGateway` is configured with.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// A `RemoteGateway` for `url` with the test frontend's token.
pub async fn remote_gateway(url: &str) -> Arc<RemoteGateway> {
    let config = GatewayConfig {
        url: url.to_owned(),
        token: Secret::new(FRONTEND_TOKEN),
        ..GatewayConfig::default()
    };
    Arc::new(RemoteGateway::connect(&config).await)
}

/// A TCP proxy a test can cut: [`CutProxy::cut`] closes every open
/// connection and holds new ones (accepted, not forwarded) until
/// [`CutProxy::restore`].
pub struct CutProxy {
    /// Where clients connect.
    pub addr: SocketAddr,
    open: watch::Sender<bool>,
    /// Bumped by each cut: connections of an older generation close.
    generation: watch::Sender<u64>,
    /// Connections forwarded so far (to wait for a reconnect).
    pub forwarded: Arc<Mutex<u64>>,
    forwarded_tx: watch::Sender<u64>,
    task: JoinHandle<()>,
}

impl Drop for CutProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl CutProxy {
    /// Forwards to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let open = watch::Sender::new(true);
        let generation = watch::Sender::new(0u64);
        let forwarded = Arc::new(Mutex::new(0));
        let forwarded_tx = watch::Sender::new(0u64);
        let (o, g, f, ftx) = (
            open.clone(),
            generation.clone(),
            forwarded.clone(),
            forwarded_tx.clone(),
        );
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (mut open, generation, f, ftx) =
                    (o.subscribe(), g.subscribe(), f.clone(), ftx.clone());
                tokio::spawn(async move {
                    // Held while cut: the client waits, as behind a dead link.
                    let _ = open.wait_for(|o| *o).await;
                    let Ok(server) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    let born = *generation.borrow();
                    {
                        let mut n = f.lock().unwrap();
                        *n += 1;
                        ftx.send_replace(*n);
                    }
                    pipe(client, server, generation, born).await;
                });
            }
        });
        Self {
            addr,
            open,
            generation,
            forwarded,
            forwarded_tx,
            task,
        }
    }

    /// Closes every forwarded connection and holds new ones.
    pub fn cut(&self) {
        self.open.send_replace(false);
        self.generation.send_modify(|g| *g += 1);
    }

    /// Forwards again (held connections go through now).
    pub fn restore(&self) {
        self.open.send_replace(true);
    }

    /// Waits until more than `n` connections were forwarded.
    pub async fn wait_forwarded_more_than(&self, n: u64) {
        let mut rx = self.forwarded_tx.subscribe();
        let _ = rx.wait_for(|f| *f > n).await;
    }

    /// The base URL through the proxy.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// Copies both ways until either side closes or the proxy is cut.
async fn pipe(
    mut client: TcpStream,
    mut server: TcpStream,
    mut generation: watch::Receiver<u64>,
    born: u64,
) {
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
        _ = generation.wait_for(|g| *g != born) => {}
    }
}
