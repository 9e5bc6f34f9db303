/* bcryptprimitives.dll for wine 8 (Debian 12), which lacks it: Rust's standard library
 * (1.78 and later) imports ProcessPrng from it on Windows. This stand-in answers with
 * advapi32's RtlGenRandom. Used by .ci/windows only; a real Windows has the DLL. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG n = length > 0x10000000 ? 0x10000000 : (ULONG)length;
        if (!SystemFunction036(data, n))
            return FALSE;
        data += n;
        length -= n;
    }
    return TRUE;
}
