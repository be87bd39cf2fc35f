//! Okta's cursor pagination: `limit` and `after` in, a page and `Link`
//! headers out.
//!
//! - `limit` is the page size: absent, the list's default; above the list's
//!   maximum, the maximum; not a positive integer, `400 E0000001`.
//! - `after` is the cursor Okta hands out in the `next` link: the id of the
//!   last item of the previous page (clients must treat it as opaque). A
//!   cursor naming no item of the list is `400 E0000001`.
//! - Every list answer carries `Link: <{request as sent}>; rel="self"`, and
//!   when more items follow `Link: <{path}?{other parameters}&after={id}&limit={n}>;
//!   rel="next"`: two header lines, as Okta sends them.

use http::HeaderValue;
use http::header::LINK;
use url::Url;
use url::form_urlencoded::Serializer;

use super::super::admin::invalid;
use super::super::reply::Reply;

/// A list's page sizes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) default: usize,
    pub(crate) max: usize,
}

/// The query of a list request.
pub(crate) struct ListQuery {
    /// Decoded, in order.
    pairs: Vec<(String, String)>,
    /// As sent.
    raw: Option<String>,
}

impl ListQuery {
    pub(crate) fn new(url: &Url) -> Self {
        Self {
            pairs: url.query_pairs().into_owned().collect(),
            raw: url.query().map(str::to_owned),
        }
    }

    /// The first value of parameter `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The page size asked for, within `limits`.
    pub(crate) fn limit(&self, limits: Limits) -> Result<usize, Reply> {
        match self.get("limit") {
            None => Ok(limits.default),
            Some(text) => match text.parse::<usize>() {
                Ok(n) if n > 0 => Ok(n.min(limits.max)),
                _ => Err(invalid(
                    "limit",
                    "limit: The limit must be a positive integer.",
                )),
            },
        }
    }
}

/// The page of `items` (in list order) after the `after` cursor, and the
/// cursor of the next page when more items follow.
pub(crate) fn page<'a, T>(
    items: &[&'a T],
    id: impl Fn(&T) -> &str,
    query: &ListQuery,
    limit: usize,
) -> Result<(Vec<&'a T>, Option<String>), Reply> {
    let start = match query.get("after") {
        None => 0,
        Some(cursor) => match items.iter().position(|item| id(item) == cursor) {
            Some(i) => i + 1,
            None => return Err(invalid("after", "after: The paging cursor is not valid.")),
        },
    };
    let rest = items.get(start..).unwrap_or_default();
    let page: Vec<&'a T> = rest.iter().take(limit).copied().collect();
    let next = match (rest.len() > limit, page.last()) {
        (true, Some(last)) => Some(id(last).to_owned()),
        _ => None,
    };
    Ok((page, next))
}

/// Adds Okta's `Link` headers to a list answer for `path` (as sent):
/// `self`, and `next` with the cursor when more items follow.
pub(crate) fn links(
    reply: Reply,
    base: &str,
    path: &str,
    query: &ListQuery,
    limit: usize,
    next: Option<&str>,
) -> Reply {
    let this = match &query.raw {
        Some(raw) => format!("<{base}{path}?{raw}>; rel=\"self\""),
        None => format!("<{base}{path}>; rel=\"self\""),
    };
    let mut lines = vec![this];
    if let Some(cursor) = next {
        let mut next_query = Serializer::new(String::new());
        for (k, v) in query
            .pairs
            .iter()
            .filter(|(k, _)| k != "after" && k != "limit")
        {
            next_query.append_pair(k, v);
        }
        next_query.append_pair("after", cursor);
        next_query.append_pair("limit", &limit.to_string());
        lines.push(format!(
            "<{base}{path}?{}>; rel=\"next\"",
            next_query.finish()
        ));
    }
    lines.into_iter().fold(reply, |reply, line| {
        // The URL parts are ASCII (a serialized URL), so this never fails;
        // were it to, the answer would only lack the header.
        match HeaderValue::from_str(&line) {
            Ok(value) => reply.append_header(LINK, value),
            Err(_) => reply,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(q: &str) -> ListQuery {
        ListQuery::new(&Url::parse(&format!("http://o/api/v1/users?{q}")).unwrap())
    }

    const LIMITS: Limits = Limits { default: 3, max: 5 };

    #[test]
    fn limits_default_cap_and_refuse_nonsense() {
        assert_eq!(query("").limit(LIMITS).ok(), Some(3));
        assert_eq!(query("limit=4").limit(LIMITS).ok(), Some(4));
        assert_eq!(query("limit=500").limit(LIMITS).ok(), Some(5));
        for bad in ["limit=0", "limit=-1", "limit=ten", "limit="] {
            assert_eq!(query(bad).limit(LIMITS).err().map(|r| r.status), Some(400));
        }
    }

    #[test]
    fn pages_follow_the_cursor_without_gaps() {
        let ids: Vec<String> = ["a", "b", "c", "d", "e"].map(String::from).into();
        let items: Vec<&String> = ids.iter().collect();
        let id = String::as_str;
        let (first, next) = page(&items, id, &query(""), 2).ok().unwrap();
        assert_eq!(
            (first, next.as_deref()),
            (vec![&ids[0], &ids[1]], Some("b"))
        );
        let (last, next) = page(&items, id, &query("after=d"), 2).ok().unwrap();
        assert_eq!((last, next), (vec![&ids[4]], None));
        // Exactly a page left: no next link.
        let (_, next) = page(&items, id, &query("after=c"), 2).ok().unwrap();
        assert_eq!(next, None);
        assert_eq!(
            page(&items, id, &query("after=zz"), 2)
                .err()
                .map(|r| r.status),
            Some(400)
        );
    }
}
