//! # translator — the implementation of interface A on interface B
//!
//! Guest block discovery over isa-a's decoder, translation of hot blocks to x86-64 through
//! isa-b, the block cache shared by all vCPUs, chaining, invalidation, and tiering between the
//! interpreter (isa-a's pre-decoded blocks) and translated code.
//!
//! Status: lands with the block-translator issue. Until then the interpreter tier
//! (`isa_a::BlockCache`) is the only engine.
