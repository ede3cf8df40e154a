Console.WriteLine("Gradgen tutorial");
