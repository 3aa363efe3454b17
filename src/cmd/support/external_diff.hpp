#pragma once

#include <filesystem>
#include <ostream>
#include <string>

namespace kq::cmd {

// Two folders, LIVE and MERGED, in a folder of its own under $TMPDIR, removed with this object: what
// `kq diff` hands to the diff program, as kubectl diff does.
class DiffFolder {
public:
    DiffFolder();
    ~DiffFolder();
    DiffFolder(const DiffFolder&) = delete;
    DiffFolder& operator=(const DiffFolder&) = delete;

    // Writes text as the file `name` of the subfolder `side` (LIVE or MERGED).
    void write(const std::string& side, const std::string& name, const std::string& text) const;

    // The folder holding LIVE and MERGED.
    const std::filesystem::path& path() const { return m_path; }

private:
    std::filesystem::path m_path;
};

// Runs $KQ_EXTERNAL_DIFF (a command line for sh), else "diff -u -N", on the folder's LIVE and MERGED,
// copying its output to out; returns its exit status (0 same, 1 different, more on trouble).
int run_external_diff(const DiffFolder& folder, std::ostream& out);

} // namespace kq::cmd
