//! Random scenarios (filled in next).
