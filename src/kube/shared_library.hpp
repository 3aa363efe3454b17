#pragma once

#include <cstring>

namespace kq::kube {

// A shared library opened with dlopen on first use rather than linked, so that the commands which never
// need it (render, validate, --version ...) start without loading it and everything it depends on.
// The library stays loaded until the process ends: libcurl and OpenSSL can't be unloaded safely.
class SharedLibrary {
public:
    // Opens the library by its soname; throws a cluster Error naming it, the loader's reason and the
    // Debian package to install when it can't be loaded.
    SharedLibrary(const char* soname, const char* package);

    // Sets function to the library's function of that name; throws like the constructor when it lacks it.
    template <typename Function> void resolve(Function*& function, const char* name) const {
        void* address = symbol(name);
        // POSIX guarantees that dlsym's object pointer converts to the function pointer it names.
        static_assert(sizeof address == sizeof function);
        std::memcpy(&function, &address, sizeof function);
    }

private:
    void* symbol(const char* name) const;

    void* m_handle = nullptr;
    const char* m_soname;
    const char* m_package;
};

} // namespace kq::kube
