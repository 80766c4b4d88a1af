//! Connections that a request handler can cut, for the `reset` fault.
//!
//! An HTTP handler can only answer; to close a connection *without* answering, the server
//! accepts through [`CuttableListener`], whose streams carry a shared switch. The switch is
//! handed to every request as a [`Cut`] extension (axum's connect info). Once thrown, the
//! stream refuses to write (so hyper drops the connection before a byte of the reply goes
//! out) and reads as closed: the client sees its request answered by a closed socket.
//!
//! Over HTTPS (axum-server), [`CutAcceptor`] does the same below the TLS layer: cutting
//! drops the TCP connection under the TLS session, as a reset does.

use axum::extract::ConnectInfo;
use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// Accepts TCP connections wrapped in [`CuttableStream`].
pub(crate) struct CuttableListener(pub TcpListener);

impl Listener for CuttableListener {
    type Io = CuttableStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (stream, addr) = Listener::accept(&mut self.0).await;
        let io = CuttableStream {
            inner: stream,
            cut: Cut::default(),
        };
        (io, addr)
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.0.local_addr()
    }
}

/// The switch of one connection.
#[derive(Debug, Clone, Default)]
pub(crate) struct Cut(Arc<AtomicBool>);

impl Cut {
    /// Makes the connection fail from now on; the reply being prepared is never sent.
    pub(crate) fn now(&self) {
        self.0.store(true, Ordering::Release);
    }

    fn is_cut(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

impl Connected<IncomingStream<'_, CuttableListener>> for Cut {
    fn connect_info(stream: IncomingStream<'_, CuttableListener>) -> Self {
        stream.io().cut.clone()
    }
}

/// axum-server's counterpart of [`CuttableListener`]: wraps each accepted TCP stream and
/// hands its switch to every request on it, as `ConnectInfo<Cut>`.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct CutAcceptor;

impl<S> axum_server::accept::Accept<TcpStream, S> for CutAcceptor {
    type Stream = CuttableStream;
    type Service = CutService<S>;
    type Future = std::future::Ready<io::Result<(CuttableStream, CutService<S>)>>;

    fn accept(&self, stream: TcpStream, service: S) -> Self::Future {
        let cut = Cut::default();
        let stream = CuttableStream {
            inner: stream,
            cut: cut.clone(),
        };
        std::future::ready(Ok((
            stream,
            CutService {
                inner: service,
                cut,
            },
        )))
    }
}

/// The per-connection service of [`CutAcceptor`].
#[derive(Debug, Clone)]
pub(crate) struct CutService<S> {
    inner: S,
    cut: Cut,
}

impl<S, B> tower_service::Service<axum::http::Request<B>> for CutService<S>
where
    S: tower_service::Service<axum::http::Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: axum::http::Request<B>) -> Self::Future {
        req.extensions_mut().insert(ConnectInfo(self.cut.clone()));
        self.inner.call(req)
    }
}

/// A TCP stream that fails once its [`Cut`] is thrown.
pub(crate) struct CuttableStream {
    inner: TcpStream,
    cut: Cut,
}

fn reset() -> io::Error {
    io::Error::new(io::ErrorKind::ConnectionReset, "connection cut by a fault")
}

impl AsyncRead for CuttableStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.cut.is_cut() {
            // End of stream: hyper stops reading and lets the connection go.
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for CuttableStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.cut.is_cut() {
            return Poll::Ready(Err(reset()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.cut.is_cut() {
            return Poll::Ready(Err(reset()));
        }
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if self.cut.is_cut() {
            return Poll::Ready(Err(reset()));
        }
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
