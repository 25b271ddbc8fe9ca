namespace BertServing.Server.Models.Weights;

/// <summary>A float32 tensor read from a weights file: its shape and its values, row-major.</summary>
public sealed record WeightTensor(int[] Shape, float[] Values);
