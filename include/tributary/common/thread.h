#pragma once
//! Names of the server's own threads.

namespace tributary {

//! Names the calling thread (at most 15 characters show in `top -H`, `ps -L` and `perf`).
void name_this_thread(const char* name);

}  // namespace tributary
