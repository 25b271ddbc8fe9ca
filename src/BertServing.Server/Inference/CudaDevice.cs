using System.Runtime.InteropServices;

namespace BertServing.Server.Inference;

/// <summary>Reads a CUDA device's memory size from the CUDA runtime that ONNX Runtime's CUDA provider loads anyway.</summary>
static partial class CudaDevice
{
    /// <summary>Total bytes of device memory; false when the CUDA runtime is absent or the device is not there.</summary>
    public static bool TryGetTotalMemory(int deviceId, out ulong total)
    {
        total = 0;
        try
        {
            if (SetDevice(deviceId) != 0) return false;
            if (MemGetInfo(out _, out var bytes) != 0) return false;
            total = bytes;
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [LibraryImport("libcudart.so.13", EntryPoint = "cudaSetDevice")]
    private static partial int SetDevice(int device);

    [LibraryImport("libcudart.so.13", EntryPoint = "cudaMemGetInfo")]
    private static partial int MemGetInfo(out ulong free, out ulong total);
}
