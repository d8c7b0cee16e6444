// A trial's checkpoint as one archive of its run directory's files, so that it can travel
// through the store (db::Store::put_checkpoint) to a worker on another machine, and be copied
// between attempts' directories. Format: "hybridnet-checkpoint 1\n", then per file its name,
// '\n', its size in decimal, '\n', and its bytes.
#pragma once

#include <string>

namespace hybridnet::search {

/// Finished epochs of the checkpoint in run directory `dir` (state.json beside model.pt), or
/// -1 when it holds none.
int checkpoint_epochs(const std::string& dir);

/// The regular files of `dir` (not the temporaries of an interrupted save, nor the attempt's
/// claim.json) as one archive. The
/// trainer replaces checkpoint files by renames; a file replaced while it was read (a holder
/// still training there) makes it read again, so that weights, optimizer state and history
/// come from one epoch. DataError when they keep changing.
std::string pack_checkpoint(const std::string& dir);

/// Writes the files of archive `bytes` into `dir` (created if missing), each atomically. An
/// archive that is malformed or names a file outside `dir` is a DataError naming `what`, and
/// nothing is written.
void unpack_checkpoint(const std::string& bytes, const std::string& dir, const std::string& what);

}  // namespace hybridnet::search
