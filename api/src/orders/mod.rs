//! The order model every order kind shares (group-buy orders today).

pub mod payments;
