//! Faults inside live dispatch: a repair that fails part-way is rolled back, reported as a
//! coded rejection, and leaves the whole ledger as it was.
