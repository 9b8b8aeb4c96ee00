//! The shop's records, generated from their ids: accounts, their orders,
//! and the orders' lines. Pure functions, so a test computes what a
//! complete read must give without asking the server.

use serde_json::{Value, json};

/// Seconds since the Unix epoch of 2024-01-01T00:00:00Z, the day the
/// `created_at` of order timestamps count from.
pub const SHOP_BASE: i64 = 1_704_067_200;

/// The largest account id: timestamps count days down from it.
pub const MAX_ACCOUNTS: u64 = 999;

const REGIONS: [&str; 3] = ["eu", "us", "apac"];

/// RFC 3339 in UTC with `Z`, to the second.
pub(crate) fn timestamp(epoch: i64) -> String {
    chrono::DateTime::from_timestamp(epoch, 0)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// The `handle` of account `a`: text that must be URL-encoded in a path
/// (a space, `&` and `/`).
pub fn account_handle(a: u64) -> String {
    format!("acme & co/{a}")
}

/// Account `a` (1-based): `{id, handle, name, region, created_at}`.
pub fn account(a: u64) -> Value {
    json!({
        "id": a,
        "handle": account_handle(a),
        "name": format!("Account {a}"),
        "region": REGIONS[(a % 3) as usize],
        "created_at": timestamp(SHOP_BASE + a as i64 * 60),
    })
}

/// The orders account `a` starts with: `(a * 7) % 5`, so 0 to 4 (accounts
/// 5, 10, 15, … have none), unless the server sets one count for all.
pub fn initial_orders(a: u64) -> u64 {
    (a * 7) % 5
}

/// The id of order `j` (1-based) of account `a`.
pub fn order_id(a: u64, j: u64) -> String {
    format!("o-{a}-{j}")
}

/// The `created_at` of order `j` of account `a`: later for lower account
/// ids (day `999 - a` after [`SHOP_BASE`]), then one minute per order.
/// So the newest order of account 1 is newer than every order of account
/// 2, added ones included: only a replication key kept **per account**
/// finds the new orders of account 2.
pub fn order_created_at(a: u64, j: u64) -> String {
    let day = (MAX_ACCOUNTS - a.min(MAX_ACCOUNTS)) as i64;
    timestamp(SHOP_BASE + day * 86_400 + j as i64 * 60)
}

/// Order `j` of account `a`: `{id, account_id, number, total, currency,
/// created_at}` (`total` a decimal with cents).
pub fn order(a: u64, j: u64) -> Value {
    let cents = (a * 1_009 + j * 317) % 100_000;
    json!({
        "id": order_id(a, j),
        "account_id": a,
        "number": j,
        "total": format!("{}.{:02}", cents / 100, cents % 100),
        "currency": if a.is_multiple_of(2) { "EUR" } else { "USD" },
        "created_at": order_created_at(a, j),
    })
}

/// The lines of order `j` of account `a`: 1 to 4.
pub fn initial_lines(a: u64, j: u64) -> u64 {
    (a + j) % 4 + 1
}

/// Line `k` (1-based) of order `j` of account `a`: `{id, order_id, sku,
/// quantity, unit_price}`.
pub fn order_line(a: u64, j: u64, k: u64) -> Value {
    json!({
        "id": format!("l-{a}-{j}-{k}"),
        "order_id": order_id(a, j),
        "sku": format!("sku-{}", (a * 31 + j * 7 + k) % 97),
        "quantity": k,
        "unit_price": (a + j + k) % 50 + 1,
    })
}

/// `(a, j)` from an order id `o-a-j`.
pub(crate) fn parse_order_id(id: &str) -> Option<(u64, u64)> {
    let rest = id.strip_prefix("o-")?;
    let (a, j) = rest.split_once('-')?;
    Some((a.parse().ok()?, j.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_deterministic_and_ordered_as_documented() {
        assert_eq!(account(7), account(7));
        assert_eq!(account(7)["handle"], "acme & co/7");
        assert_eq!(initial_orders(5), 0);
        assert_eq!(order(3, 2)["id"], "o-3-2");
        assert_eq!(parse_order_id("o-3-2"), Some((3, 2)));
        assert_eq!(parse_order_id("x-3-2"), None);
        assert!(order_created_at(1, 1) > order_created_at(2, 500));
        assert!(order_created_at(2, 2) > order_created_at(2, 1));
        assert_eq!(order_created_at(1, 0), "2026-09-25T00:00:00Z");
        assert!((1..=4).contains(&initial_lines(9, 9)));
        assert_eq!(order_line(1, 2, 3)["order_id"], "o-1-2");
    }
}
