namespace BertServing.Server.Models.Weights;

/// <summary>A float32 tensor read from a weights file: its shape and its values, row-major.</summary>
public sealed record WeightTensor(int[] Shape, float[] Values)
{
    /// <summary>The transpose of a matrix (<c>[rows, columns]</c> to <c>[columns, rows]</c>); other ranks as they are.</summary>
    /// <remarks>Linear layers are stored <c>[out, in]</c> by PyTorch and <c>[in, out]</c> by TensorFlow and ONNX MatMul.</remarks>
    public WeightTensor Transposed()
    {
        if (Shape.Length != 2)
            return this;
        int rows = Shape[0], columns = Shape[1];
        var values = new float[Values.Length];
        for (var r = 0; r < rows; r++)
            for (var c = 0; c < columns; c++)
                values[c * rows + r] = Values[r * columns + c];
        return new WeightTensor([columns, rows], values);
    }
}
