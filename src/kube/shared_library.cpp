#include "kube/shared_library.hpp"

#include "util/error.hpp"

#include <dlfcn.h>

namespace kq::kube {

SharedLibrary::SharedLibrary(const char* soname, const char* package) : m_soname(soname), m_package(package) {
    // RTLD_NOW finds a missing function here, with the library named, not at some later call.
    m_handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (m_handle == nullptr) {
        const char* reason = dlerror();
        fail(ErrorKind::cluster, "cannot load {}: {}; install the {} package", soname,
             reason != nullptr ? reason : "unknown error", package);
    }
}

void* SharedLibrary::symbol(const char* name) const {
    dlerror();
    void* address = dlsym(m_handle, name);
    if (address == nullptr) {
        const char* reason = dlerror();
        fail(ErrorKind::cluster, "cannot use {}: {}; install a newer {} package", m_soname,
             reason != nullptr ? reason : fmt::format("{} is null", name), m_package);
    }
    return address;
}

} // namespace kq::kube
