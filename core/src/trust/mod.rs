//! Trust: a runbook is untrusted input. Nothing it asks runs before the presenter
//! has seen what would execute beyond its visible blocks and accepted it (the
//! [`sheet`]), pinned to the runbook's path and the digest of its executable parts
//! (the [`store`]); some things it may never do, trusted or not ([`env`]). Until it
//! is trusted, only loopback services are probed.

pub mod env;
pub mod sheet;
pub mod store;

pub use sheet::{is_loopback_url, sheet, Blocked, TrustItem, TrustKind, TrustSheet};
pub use store::{TrustStore, TrustStoreError};
