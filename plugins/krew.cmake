# Makes kq's krew release: the archive (bin/kq and the kq(1) man page) and the manifest that names
# it with its SHA-256. Run by the `krew` target: cmake -DKQ_BINARY=... -DKQ_MAN_PAGE=... -DOUT=...
# -DVERSION=... -DRELEASE_URL=... -DHOMEPAGE=... -DTEMPLATE=... -P krew.cmake
set(archive_name "kq-v${VERSION}-linux-amd64.tar.gz")
set(stage "${OUT}/stage")
file(REMOVE_RECURSE "${stage}")
file(MAKE_DIRECTORY "${stage}/bin" "${stage}/share/man/man1")
file(COPY "${KQ_BINARY}" DESTINATION "${stage}/bin")
file(COPY "${KQ_MAN_PAGE}" DESTINATION "${stage}/share/man/man1")
# Paths relative to the stage, files dated 1970 (the archive says nothing of the machine that made it).
execute_process(COMMAND ${CMAKE_COMMAND} -E tar czf "${OUT}/${archive_name}" --format=gnutar
                        "--mtime=1970-01-01 00:00:00 UTC" bin share
                WORKING_DIRECTORY "${stage}" RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "krew: could not make ${archive_name}")
endif()
file(SHA256 "${OUT}/${archive_name}" KQ_KREW_SHA256)
set(PROJECT_VERSION "${VERSION}")
set(KQ_RELEASE_URL "${RELEASE_URL}")
set(KQ_HOMEPAGE "${HOMEPAGE}")
set(KQ_KREW_ARCHIVE "${archive_name}")
configure_file("${TEMPLATE}" "${OUT}/kq.yaml" @ONLY)
file(REMOVE_RECURSE "${stage}")
message(STATUS "krew: ${OUT}/kq.yaml and ${OUT}/${archive_name}")
