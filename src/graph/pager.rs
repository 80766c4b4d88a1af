//! Paging: a stream of pages that follows `@odata.nextLink`, one page ahead.
//!
//! Loading a whole queue (100,000 alerts) is a chain of requests where each page names the
//! next. Waiting for page N to be fully typed before asking for page N+1 would add the two
//! times up; instead, as soon as a page's envelope has been read (and its nextLink is known
//! and checked), the next request starts in the background while the items are typed.
//! At most one page is fetched ahead, so memory stays bounded, and dropping the stream
//! aborts that request.

use super::client::{Client, check_next_link};
use super::error::GraphError;
use super::models::{FromRaw, Page, parse_page_with};
use futures_util::Stream;
use reqwest::{Method, Url};
use tokio::task::JoinHandle;

/// Bodies larger than this are parsed on the blocking pool, so a big page never stalls the
/// runtime threads that also drive the UI.
const PARSE_OFF_THREAD_BYTES: usize = 256 * 1024;

/// What the stream does next.
enum Next {
    /// Fetch this URL (the first page).
    Fetch(Url),
    /// This URL's request is already under way.
    Prefetched { url: Url, task: Prefetch },
    /// Yield this error, then end.
    Fail(GraphError),
}

/// A background request for the next page, aborted when dropped.
struct Prefetch(JoinHandle<Result<Vec<u8>, GraphError>>);

impl Prefetch {
    async fn join(mut self) -> Result<Vec<u8>, GraphError> {
        (&mut self.0)
            .await
            .map_err(|e| GraphError::Transport(format!("page request ended: {e}")))?
    }
}

impl Drop for Prefetch {
    fn drop(&mut self) {
        // A no-op when the request has finished; otherwise the consumer lost interest.
        self.0.abort();
    }
}

/// All pages starting at `first`. Ends after the last page or after the first error.
pub(super) fn pages<T>(
    client: Client,
    first: Result<Url, GraphError>,
) -> impl Stream<Item = Result<Page<T>, GraphError>> + Send + Unpin + 'static
where
    T: FromRaw + Send + 'static,
{
    let start = match first {
        Ok(url) => Next::Fetch(url),
        Err(e) => Next::Fail(e),
    };
    // Boxed so callers can `.next().await` without pinning it themselves.
    Box::pin(futures_util::stream::unfold(Some(start), move |state| {
        let client = client.clone();
        async move {
            let (url, body) = match state? {
                Next::Fail(e) => return Some((Err(e), None)),
                Next::Fetch(url) => {
                    let body = client.execute(Method::GET, &url, None).await;
                    (url, body)
                }
                Next::Prefetched { url, task } => (url, task.join().await),
            };
            let body = match body {
                Ok(b) => b,
                Err(e) => return Some((Err(e), None)),
            };
            match parse_and_prefetch::<T>(client, url, body).await {
                Ok((page, next)) => Some((Ok(page), next)),
                Err(e) => Some((Err(e), None)),
            }
        }
    }))
}

/// Types one page; starts the next page's request as soon as its link is known.
async fn parse_and_prefetch<T>(
    client: Client,
    url: Url,
    body: Vec<u8>,
) -> Result<(Page<T>, Option<Next>), GraphError>
where
    T: FromRaw + Send + 'static,
{
    let off_thread = body.len() > PARSE_OFF_THREAD_BYTES;
    let work = move || -> Result<(Page<T>, Option<Next>), GraphError> {
        let text = std::str::from_utf8(&body).map_err(|e| GraphError::decode("page", e))?;
        let mut next = None;
        let page = parse_page_with::<T>(text, |link| {
            next = link.map(|l| follow(&client, &url, l));
        })
        .map_err(|e| GraphError::decode("page", e))?;
        Ok((page, next))
    };
    if off_thread {
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| GraphError::decode("page", e))?
    } else {
        work()
    }
}

/// Checks a nextLink and starts fetching it. Runs inside the runtime (on a worker or a
/// blocking-pool thread), so it can spawn.
fn follow(client: &Client, current: &Url, link: &str) -> Next {
    let next = match check_next_link(client.base(), link) {
        // A server that hands back the same page would loop forever.
        Ok(n) if n == *current => {
            return Next::Fail(GraphError::BadNextLink(format!("{link} (repeats)")));
        }
        Ok(n) => n,
        Err(e) => return Next::Fail(e),
    };
    let c = client.clone();
    let target = next.clone();
    let task = tokio::spawn(async move { c.execute(Method::GET, &target, None).await });
    Next::Prefetched {
        url: next,
        task: Prefetch(task),
    }
}
