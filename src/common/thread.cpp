#include "tributary/common/thread.h"

#include <pthread.h>

#include <cstring>

namespace tributary {

void name_this_thread(const char* name) {
  char buf[16];
  std::strncpy(buf, name, sizeof buf - 1);
  buf[sizeof buf - 1] = '\0';
  pthread_setname_np(pthread_self(), buf);
}

}  // namespace tributary
