package caffe_test

import (
	"fmt"
	"log"

	"github.com/gocaffe/gocaffe/caffe"
)

func init() { caffe.Quiet(true) }

// The files the examples use: Caffe's LeNet deploy net, weights trained by someone else's
// Caffe (accuracy 0.9914 on MNIST's test set), and a digit from that test set.
const (
	lenetDeploy  = "../testdata/caffe-examples/examples/mnist/lenet.prototxt"
	lenetWeights = "../testdata/fixtures/realworld/ethereon_lenet_iter_10000.caffemodel"
	digit        = "testdata/digit.png"
)

// Classify an image with a trained net, as Caffe's classification example does.
func Example_classify() {
	net, err := caffe.LoadNet(lenetDeploy, caffe.Options{Weights: []string{lenetWeights}})
	if err != nil {
		log.Fatal(err)
	}
	defer net.Close()
	// LeNet was trained on pixels scaled to [0, 1].
	c, err := caffe.NewClassifier(net, caffe.ClassifierOptions{Scale: 1.0 / 256})
	if err != nil {
		log.Fatal(err)
	}
	preds, err := c.ClassifyFiles([]string{digit}, 2)
	if err != nil {
		log.Fatal(err)
	}
	best := preds[0][0]
	fmt.Printf("%s is a %s (probability %.2f)\n", digit, best.Label, best.Score)
	fmt.Printf("runner-up below 0.01: %v\n", preds[0][1].Score < 0.01)
	// Output:
	// testdata/digit.png is a 1 (probability 1.00)
	// runner-up below 0.01: true
}

// Feed an input blob, run the net forward and read blobs and parameters by name, as
// with pycaffe's net.blobs and net.params.
func ExampleNet_Forward() {
	net, err := caffe.LoadNet(lenetDeploy, caffe.Options{Weights: []string{lenetWeights}})
	if err != nil {
		log.Fatal(err)
	}
	defer net.Close()

	in := net.Blob(net.Inputs()[0])
	fmt.Println("input", in.Name(), in.Shape())
	// One image of 28×28 zeros: reshape the input, let the shapes flow, fill it.
	if err := in.Reshape(1, 1, 28, 28); err != nil {
		log.Fatal(err)
	}
	if err := net.Reshape(); err != nil {
		log.Fatal(err)
	}
	clear(in.Data())
	if _, err := net.Forward(); err != nil {
		log.Fatal(err)
	}
	prob := net.Blob("prob")
	var sum float32
	for _, p := range prob.Data() {
		sum += p
	}
	fmt.Printf("prob %v sums to %.3f\n", prob.Shape(), sum)
	for _, layer := range []string{"conv1", "ip2"} {
		for i, p := range net.Params(layer) {
			fmt.Println(layer, net.LayerType(layer), "param", i, p.Shape())
		}
	}
	// Output:
	// input data [64 1 28 28]
	// prob [1 10] sums to 1.000
	// conv1 Convolution param 0 [20 1 5 5]
	// conv1 Convolution param 1 [20]
	// ip2 InnerProduct param 0 [10 500]
	// ip2 InnerProduct param 1 [10]
}

// Fine-tune LeNet for 10 iterations from weights trained for 100, and score it on the
// test net, as pycaffe's solver.step and solver.test_nets do.
func ExampleSolver_Step() {
	solver, err := caffe.NewSolver("testdata/lenet_solver.prototxt", caffe.SolverOptions{
		Weights: []string{"../testdata/fixtures/nets/lenet_mnist/lenet_iter_100.caffemodel"},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer solver.Close()

	score := func() float32 {
		test := solver.TestNets()[0]
		var accuracy float32
		for i := 0; i < 10; i++ {
			if _, err := test.Forward(); err != nil {
				log.Fatal(err)
			}
			accuracy += test.Blob("accuracy").Data()[0]
		}
		return accuracy / 10
	}
	before := score()
	if err := solver.Step(10); err != nil {
		log.Fatal(err)
	}
	after := score()
	fmt.Println("iterations:", solver.Iter())
	fmt.Printf("test accuracy before %.2f\n", before)
	fmt.Println("better after 10 iterations:", after > before)
	fmt.Println("weights of conv1:", solver.Net().Params("conv1")[0].Shape())
	// Output:
	// iterations: 10
	// test accuracy before 0.90
	// better after 10 iterations: true
	// weights of conv1: [20 1 5 5]
}
