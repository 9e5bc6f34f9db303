//! The filters of a chunk pipeline: deflate (1), shuffle (2), fletcher32 (3).
