//! The platform's Redis queues in their libraries' wire formats (the sim's Redis writer and
//! the tests' producers build their commands in `wire`).

pub mod wire;
